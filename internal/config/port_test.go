package config

import (
	"strings"
	"testing"
)

const portHead = "name: d\nload: {measure: {duration: 1s}}\n"

// TestPortTemplate checks {{ port N }}: allowed in a process service's
// command, env and ready; N must be declared; anywhere else is an error.
func TestPortTemplate(t *testing.T) {
	const okScen = "scenarios: [{name: s, url: 'http://{{ endpoint \"api\" 8080 }}/'}]\n"
	tests := []struct {
		name string
		yaml string
		want string // "" = valid; else a prefix... substring of the error
	}{
		{"command env ready", okScen + "services:\n  - name: api\n    process:\n      command: [./app, -addr, '127.0.0.1:{{ port 8080 }}']\n      env: {ADMIN: '{{ port \"9090\" }}'}\n      ports: [8080, 9090]\n    ready: {http: 'http://127.0.0.1:{{ port 8080 }}/health'}\n", ""},
		{"ready tcp", okScen + "services:\n  - name: api\n    process: {command: [x, '{{ port 8080 }}'], ports: [8080]}\n    ready: {tcp: '127.0.0.1:{{ port 8080 }}'}\n", ""},
		{"other braces untouched", okScen + "services:\n  - name: api\n    process: {command: [x, '{{ port 8080 }}', '-f', '{{.State}}'], env: {FMT: '{{ json . }}'}, ports: [8080]}\n", ""},
		{"endpoint in env", okScen + "services:\n  - name: db\n    process: {command: [x, '{{ port 5432 }}'], ports: [5432]}\n  - name: api\n    depends_on: [db]\n    process: {command: [x, '{{ port 8080 }}'], env: {DB: '{{ endpoint \"db\" 5432 }}'}, ports: [8080]}\n", ""},
		{"undeclared in command", okScen + "services:\n  - name: api\n    process:\n      command: [./app, '-addr=:{{ port 8081 }}']\n      ports: [8080]\n", `p.yaml:7:24: services[0].process.command[1]: template "-addr=:{{ port 8081 }}": {{ port 8081 }}: service "api" does not declare port 8081 (declared: 8080); add it to its process.ports`},
		{"undeclared in env", okScen + "services:\n  - name: api\n    process:\n      command: [x]\n      env: {PORT: '{{ port 1 }}'}\n      ports: [8080]\n", `p.yaml:8:13: services[0].process.env.PORT:`},
		{"no ports at all", okScen + "services:\n  - name: api\n    process: {command: [x, '{{ port 80 }}']}\n", `does not declare port 80 (declared: none)`},
		{"undeclared in ready", okScen + "services:\n  - name: api\n    process: {command: [x], ports: [8080]}\n    ready: {http: 'http://127.0.0.1:{{ port 80 }}/'}\n", `services[0].ready.http:`},
		{"not a number", okScen + "services:\n  - name: api\n    process: {command: [x, '{{ port \"http\" }}'], ports: [8080]}\n", `port "http": expected a port number`},
		{"no argument", okScen + "services:\n  - name: api\n    process: {command: [x, '{{ port }}'], ports: [8080]}\n", `services[0].process.command[1]: template`},
		{"in scenario url", "scenarios: [{name: s, url: 'http://127.0.0.1:{{ port 8080 }}/'}]\nservices:\n  - name: api\n    process: {command: [x], ports: [8080]}\n", `scenarios[0].url: {{ port }} is only for a process service's command, env and ready`},
		{"in header", "scenarios: [{name: s, url: 'http://x/', headers: {X-P: '{{ port 1 }}'}}]\n", `scenarios[0].headers.X-P: {{ port }} is only for a process service`},
		{"in body", "scenarios: [{name: s, url: 'http://x/', body: 'p={{port 1}}'}]\n", `scenarios[0].body: {{ port }} is only`},
		{"container ready", okScen + "services:\n  - name: api\n    container: {image: x, ports: ['8080']}\n    ready: {http: 'http://127.0.0.1:{{ port 8080 }}/'}\n", `services[0].ready.http:`},
		{"container command", okScen + "services:\n  - name: api\n    container: {image: x, command: [serve, '{{ port 8080 }}'], ports: ['8080']}\n", `services[0].container.command[1]: {{ port }} is for process services`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(portHead+tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestCheckPairable(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // nil = pairable
	}{
		{"all ports templated", "scenarios: [{name: s, url: 'http://{{ endpoint \"api\" 8080 }}/'}]\nservices:\n  - name: api\n    process:\n      command: [./app, -addr, '127.0.0.1:{{ port 8080 }}']\n      env: {ADMIN_PORT: '{{ port 9090 }}'}\n      ports: [8080, 9090]\n    ready: {http: /health}\n", nil},
		{"no services", "scenarios: [{name: s, url: 'http://127.0.0.1:8080/'}]\n", nil},
		{"fixed port", "scenarios: [{name: s, url: 'http://{{ endpoint \"api\" 8080 }}/'}]\nservices:\n  - name: api\n    process:\n      command: [./app, -addr, '127.0.0.1:8080']\n      ports: [8080]\n",
			[]string{`p.yaml:7:7: services[0].process.command: service "api" listens on fixed port 8080`, "write {{ port 8080 }} where the port is passed"}},
		{"one of two ports", "scenarios: [{name: s, url: 'http://{{ endpoint \"api\" 8080 }}/'}]\nservices:\n  - name: api\n    process: {command: [x, '{{ port 8080 }}'], ports: [8080, 9090]}\n",
			[]string{"fixed port 9090"}},
		{"literal scenario url", "scenarios: [{name: s, url: 'http://127.0.0.1:8080/x'}]\nservices:\n  - name: api\n    process: {command: [x, '{{ port 8080 }}'], ports: [8080]}\n",
			[]string{`p.yaml:3:23: scenarios[0].url: "http://127.0.0.1:8080/x" names port 8080 of service "api" directly`, `write {{ endpoint "api" 8080 }}`}},
		{"literal ready tcp", "scenarios: [{name: s, url: 'http://x/'}]\nservices:\n  - name: api\n    process: {command: [x, '{{ port 8080 }}'], ports: [8080]}\n    ready: {tcp: 'localhost:8080'}\n",
			[]string{"services[0].ready.tcp:"}},
		{"host network container", "scenarios: [{name: s, url: 'http://x/'}]\nservices:\n  - name: web\n    container: {image: nginx, network: host, ports: ['80']}\n",
			[]string{"services[0].container.network:", "network: bridge"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("p.yaml", []byte(portHead+tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = cfg.CheckPairable()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("pairable config rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got  %v\nwant %s", err, w)
				}
			}
		})
	}
}
