package publish

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePRMetadata(t *testing.T) {
	sha := strings.Repeat("a", 40)
	for _, c := range []struct {
		name, in, want string // want: "" ok, else a substring of the error
	}{
		{"ok", `{"pull_request":3,"head_sha":"` + sha + `","base_sha":"` + sha + `","repository":"o/r"}`, ""},
		{"sha256 ids, no base", `{"pull_request":3,"head_sha":"` + strings.Repeat("f", 64) + `","repository":"o/r.go"}`, ""},
		{"zero pr", `{"pull_request":0,"head_sha":"` + sha + `","repository":"o/r"}`, "not a pull request number"},
		{"negative pr", `{"pull_request":-1,"head_sha":"` + sha + `","repository":"o/r"}`, "not a pull request number"},
		{"short sha", `{"pull_request":3,"head_sha":"abc1234","repository":"o/r"}`, "head_sha"},
		{"ref not sha", `{"pull_request":3,"head_sha":"refs/heads/main","repository":"o/r"}`, "head_sha"},
		{"bad base", `{"pull_request":3,"head_sha":"` + sha + `","base_sha":"x","repository":"o/r"}`, "base_sha"},
		{"repo path", `{"pull_request":3,"head_sha":"` + sha + `","repository":"o/r/../x"}`, "owner/name"},
		{"unknown field", `{"pull_request":3,"head_sha":"` + sha + `","repository":"o/r","cmd":"x"}`, "unknown field"},
		{"pr as string", `{"pull_request":"3","head_sha":"` + sha + `","repository":"o/r"}`, "expected JSON"},
		{"trailing data", `{"pull_request":3,"head_sha":"` + sha + `","repository":"o/r"} {}`, "after its JSON"},
		{"not json", `pr=3`, "expected JSON"},
		{"too large", `{"repository":"` + strings.Repeat("x", MaxPRMetadataSize) + `"}`, "more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePRMetadata([]byte(c.in))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestCheckPRMetadata(t *testing.T) {
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	m := PRMetadata{PullRequest: 1, HeadSHA: a, Repository: "o/r"}
	for _, c := range []struct {
		name, expect, repo string
		ok                 bool
	}{
		{"same", a, "o/r", true},
		{"same, other case", strings.ToUpper(a), "O/R", true},
		{"no repository to check", a, "", true},
		{"other head", b, "o/r", false},
		{"other repository", a, "o/x", false},
	} {
		err := CheckPRMetadata(m, c.expect, c.repo)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrRefused)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func FuzzParsePRMetadata(f *testing.F) {
	f.Add([]byte(`{"pull_request":3,"head_sha":"` + strings.Repeat("a", 40) + `","repository":"o/r"}`))
	f.Add([]byte(`{"pull_request":1e99}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParsePRMetadata(b)
		if err != nil {
			return
		}
		if m.PullRequest <= 0 || !ValidSHA(m.HeadSHA) || !reRepo.MatchString(m.Repository) {
			t.Fatalf("accepted %+v", m)
		}
	})
}
