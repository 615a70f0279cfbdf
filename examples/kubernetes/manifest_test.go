// Package kubernetes_test checks the Kubernetes example: the manifests parse
// strictly into Kubernetes' own types (batch/v1 Job, v1 PVC), the Job is an
// Indexed Job whose pods take their shard from JOB_COMPLETION_INDEX, and the
// perfgate flags the pods pass exist.
package kubernetes_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/perfgate/perfgate/internal/cli/cmdutil"
	"github.com/perfgate/perfgate/internal/cli/root"
)

func docs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(d, "")) != "" {
			out = append(out, d)
		}
	}
	return out
}

// flagsExist checks that every --flag in args is a flag of `perfgate <sub>`.
func flagsExist(t *testing.T, sub string, args string) {
	t.Helper()
	cmd := root.NewCmd(&cmdutil.Factory{IO: &cmdutil.IOStreams{}})
	c, _, err := cmd.Find([]string{sub})
	if err != nil || c.Name() != sub {
		t.Fatalf("perfgate has no command %q", sub)
	}
	for _, m := range regexp.MustCompile(`--([a-z][a-z-]*)`).FindAllStringSubmatch(args, -1) {
		if c.Flags().Lookup(m[1]) == nil && c.InheritedFlags().Lookup(m[1]) == nil {
			t.Errorf("perfgate %s has no flag --%s (used in the manifest)", sub, m[1])
		}
	}
}

func TestShardJob(t *testing.T) {
	ds := docs(t, "job.yaml")
	if len(ds) != 2 {
		t.Fatalf("job.yaml: %d documents, want the Job and its PVC", len(ds))
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(ds[0]), &job); err != nil {
		t.Fatalf("job.yaml is not a batch/v1 Job: %v", err)
	}
	var pvc corev1.PersistentVolumeClaim
	if err := yaml.UnmarshalStrict([]byte(ds[1]), &pvc); err != nil {
		t.Fatalf("job.yaml's second document is not a PVC: %v", err)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("not an Indexed Job: %s %s mode %v", job.APIVersion, job.Kind, s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism {
		t.Errorf("completions %v and parallelism %v must be equal: every shard runs at once", s.Completions, s.Parallelism)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v, want 0: a retried shard would start after the common start", s.BackoffLimit)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || len(pod.Containers) != 1 {
		t.Fatalf("pod: restartPolicy %q, %d containers", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["SHARDS"] != strings.TrimSpace(strings.Trim(strings.TrimSpace(itoa(*s.Completions)), `"`)) {
		t.Errorf("SHARDS=%q but completions %d", env["SHARDS"], *s.Completions)
	}
	if env["START_AT"] == "" {
		t.Error("no START_AT for --start-at")
	}
	args := strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
	for _, want := range []string{"perfgate run", `--shard "$JOB_COMPLETION_INDEX/$SHARDS"`, `--start-at "$START_AT"`, `--out "/results/shard-$JOB_COMPLETION_INDEX.json"`} {
		if !strings.Contains(args, want) {
			t.Errorf("the shard's command lacks %q: %s", want, args)
		}
	}
	flagsExist(t, "run", args)
	claim := ""
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		mounted = mounted || m.MountPath == "/results"
	}
	if claim != pvc.Name || !mounted {
		t.Errorf("results volume: claim %q (PVC %q), mounted at /results %v", claim, pvc.Name, mounted)
	}
	if len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany {
		t.Errorf("PVC access modes %v, want ReadWriteMany (shards on several nodes write to it)", pvc.Spec.AccessModes)
	}

	var merge batchv1.Job
	md := docs(t, "merge-job.yaml")
	if len(md) != 1 {
		t.Fatalf("merge-job.yaml: %d documents, want 1", len(md))
	}
	if err := yaml.UnmarshalStrict([]byte(md[0]), &merge); err != nil {
		t.Fatalf("merge-job.yaml is not a batch/v1 Job: %v", err)
	}
	mc := merge.Spec.Template.Spec.Containers
	if len(mc) != 1 || merge.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Fatalf("merge job: %d containers, or not on the shards' volume", len(mc))
	}
	margs := strings.Join(mc[0].Command, " ")
	if !strings.Contains(margs, "perfgate merge /results/shard-*.json --out /results/results.json") {
		t.Errorf("merge command %q", margs)
	}
	flagsExist(t, "merge", margs)
}

// The checks can fail: a field Kubernetes does not know is refused.
func TestStrictParseRefuses(t *testing.T) {
	for _, bad := range []string{
		"apiVersion: batch/v1\nkind: Job\nspec:\n  completionz: 4\n",
		"apiVersion: batch/v1\nkind: Job\nspec:\n  completions: four\n",
	} {
		var j batchv1.Job
		if err := yaml.UnmarshalStrict([]byte(bad), &j); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func itoa(n int32) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
