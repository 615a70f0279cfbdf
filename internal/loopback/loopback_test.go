package loopback

import "testing"

func TestHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true}, {"127.1.2.3", true}, {"::1", true}, {"[::1]", true}, {"localhost", true}, {"LocalHost", true},
		{"10.0.0.1", false}, {"192.168.1.1", false}, {"172.17.0.1", false}, {"example.com", false}, {"", false}, {"::ffff:10.0.0.1", false},
	} {
		if got := Host(tt.host); got != tt.want {
			t.Errorf("Host(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
