package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gisgw/gisgw/responder/apptest"
)

// buildGisgw builds the real binary, as the deployment files run it.
func buildGisgw(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gisgw")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// deployHost is a fresh machine laid out as docs/deploy.md says, under a temporary root:
// the documented absolute paths of the deployment files are rewritten into it.
type deployHost struct {
	root, bin, port string
	repl            *strings.Replacer
}

func newDeployHost(t *testing.T, bin string) *deployHost {
	t.Helper()
	root := t.TempDir()
	h := &deployHost{root: root, bin: bin, port: strconv.Itoa(freePort(t))}
	h.repl = strings.NewReplacer(
		"/usr/local/bin/gisgw", bin,
		"/etc/gisgw", root+"/etc/gisgw",
		"/var/lib/gisgw", root+"/var/lib/gisgw",
		"/srv/gisgw/documents", root+"/srv/gisgw/documents",
		"/documents", root+"/srv/gisgw/documents",
		":8686", ":"+h.port,
	)
	for _, d := range []string{"etc/gisgw/keys", "var/lib/gisgw", "srv/gisgw/documents"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The example configuration as the operator installs it, with a signing pair in place.
	example, err := os.ReadFile("../../deploy/gisgw.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeMode(t, h.path("/etc/gisgw/gisgw.yaml"), h.repl.Replace(string(example)), 0o600)
	key, cert := apptest.TestKey(t)
	for src, dst := range map[string]string{key: "/etc/gisgw/keys/signing-key.pem", cert: "/etc/gisgw/keys/signing-cert.pem"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeMode(t, h.path(dst), string(b), 0o400)
	}
	return h
}

// path is the documented absolute path p on this host.
func (h *deployHost) path(p string) string { return h.repl.Replace(p) }

// command rewrites a documented command line for this host.
func (h *deployHost) command(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = h.repl.Replace(a)
	}
	if len(out) > 0 && out[0] == "gisgw" {
		out[0] = h.bin
	}
	return out
}

// runOK runs argv to its end and fails the test unless it exits 0; it returns the output.
func (h *deployHost) runOK(t *testing.T, env []string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = append(os.Environ(), env...), h.path("/var/lib/gisgw")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// serve starts the daemon command line, waits until the health command line says it is
// healthy, stops it with SIGTERM as systemd and docker do, and requires a clean exit.
func (h *deployHost) serve(t *testing.T, env []string, daemon, health []string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(daemon[0], daemon[1:]...)
	cmd.Env, cmd.Dir = append(os.Environ(), env...), h.path("/var/lib/gisgw")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	healthy := false
	var last string
	for deadline := time.Now().Add(20 * time.Second); !healthy && time.Now().Before(deadline); {
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it was healthy: %v\n%s", strings.Join(daemon, " "), err, childLogTail(logPath, 20))
		case <-time.After(100 * time.Millisecond):
		}
		hc := exec.Command(health[0], health[1:]...)
		hc.Env = append(os.Environ(), env...)
		out, err := hc.CombinedOutput()
		healthy, last = err == nil, string(out)
	}
	if !healthy {
		_ = cmd.Process.Kill()
		t.Fatalf("%s never healthy; last: %s\n%s", strings.Join(health, " "), last, childLogTail(logPath, 20))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("%s after SIGTERM: %v\n%s", strings.Join(daemon, " "), err, childLogTail(logPath, 20))
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%s did not stop on SIGTERM", strings.Join(daemon, " "))
	}
}

// unitDirectives reads a systemd unit file: directive → values in order.
func unitDirectives(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not a directive: %q", path, line)
		}
		out[k] = append(out[k], v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// under reports whether path lies in one of dirs.
func under(path string, dirs []string) bool {
	for _, d := range dirs {
		if rel, err := filepath.Rel(d, path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

// TestSystemdUnit runs every gisgw command line of deploy/gisgw.service with the real binary
// on the example configuration, checks the hardening the daemon relies on, and has systemd
// itself check the unit where systemd-analyze is installed.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	const unit = "../../deploy/gisgw.service"
	d := unitDirectives(t, unit)
	for k, want := range map[string]string{"UMask": "0077", "ProtectSystem": "strict", "User": "gisgw", "NoNewPrivileges": "true"} {
		if got := strings.Join(d[k], " "); got != want {
			t.Errorf("%s=%s, want %s", k, got, want)
		}
	}
	if ph := strings.Join(d["ProtectHome"], " "); ph != "read-only" && ph != "no" && ph != "false" {
		t.Errorf("ProtectHome=%s hides court-act files imported from a home folder; want read-only", ph)
	}
	// The store's folder and the dump folder the tmpfiles make must be writable.
	rw := strings.Fields(strings.Join(d["ReadWritePaths"], " "))
	tmpfiles, err := os.ReadFile("../../deploy/gisgw.tmpfiles")
	if err != nil {
		t.Fatal(err)
	}
	sysusers, err := os.ReadFile("../../deploy/gisgw.sysusers")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^u gisgw `).Match(sysusers) {
		t.Errorf("deploy/gisgw.sysusers does not create the user gisgw")
	}
	for _, line := range strings.Split(string(tmpfiles), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "d" && f[3] == "gisgw" && !under(f[1], rw) {
			t.Errorf("%s is gisgw's folder (gisgw.tmpfiles) but not in ReadWritePaths=%v", f[1], rw)
		}
	}

	bin := buildGisgw(t)
	h := newDeployHost(t, bin)
	var env []string
	for _, line := range strings.Split(string(mustRead(t, h.path("/etc/gisgw/gisgw.yaml"))), "\n") {
		if v, ok := strings.CutPrefix(line, "db: "); ok && !under(strings.TrimSpace(v), []string{h.path(rw[0])}) {
			t.Errorf("the example's db %s is outside ReadWritePaths", v)
		}
	}
	pre, start := d["ExecStartPre"], d["ExecStart"]
	if len(pre) != 1 || len(start) != 1 {
		t.Fatalf("ExecStartPre=%v ExecStart=%v; want one of each", pre, start)
	}
	migrate := h.command(strings.Fields(pre[0]))
	if out := h.runOK(t, env, migrate...); !strings.Contains(out, "migrated from version 0 to") {
		t.Fatalf("ExecStartPre on a fresh host: %s", out)
	}
	if _, err := os.Stat(h.path("/var/lib/gisgw/gisgw.db")); err != nil {
		t.Fatalf("ExecStartPre made no store where the configuration says: %v", err)
	}
	if out := h.runOK(t, env, migrate...); !strings.Contains(out, "up to date") {
		t.Fatalf("ExecStartPre on a restart: %s", out)
	}
	health := h.command([]string{"gisgw", "health", "--config", "/etc/gisgw/gisgw.yaml"})
	h.serve(t, env, h.command(strings.Fields(start[0])), health)

	t.Run("systemd-analyze verify", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze is not installed; the command lines above were checked without it")
		}
		// The unit as installed, but with the binary where the test built it.
		b := strings.ReplaceAll(string(mustRead(t, unit)), "/usr/local/bin/gisgw", bin)
		path := filepath.Join(t.TempDir(), "gisgw.service")
		writeMode(t, path, b, 0o644)
		out, err := exec.Command(analyze, "verify", path).CombinedOutput()
		// verify exits 0 on directives it ignores; any word about the file is a fault.
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dockerfile is what a Dockerfile's final stage runs.
type dockerfile struct {
	env                          []string
	entrypoint, cmd, healthcheck []string
}

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	text := strings.ReplaceAll(string(mustRead(t, path)), "\\\n", " ")
	var df dockerfile
	jsonArg := func(s string) []string {
		var v []string
		if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &v); err != nil {
			t.Fatalf("%s: %q is not an exec-form JSON array (a distroless image has no shell): %v", path, s, err)
		}
		return v
	}
	for _, line := range strings.Split(text, "\n") {
		instr, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			df = dockerfile{} // only the final stage runs
		case "ENV":
			df.env = append(df.env, strings.Fields(rest)...)
		case "ENTRYPOINT":
			df.entrypoint = jsonArg(rest)
		case "CMD":
			df.cmd = jsonArg(rest)
		case "HEALTHCHECK":
			_, c, ok := strings.Cut(rest, "CMD ")
			if !ok {
				t.Fatalf("%s: HEALTHCHECK without CMD", path)
			}
			df.healthcheck = jsonArg(c)
		}
	}
	return df
}

// TestContainerCommands runs the command lines of deploy/Dockerfile and deploy/compose.yaml
// (entrypoint, command, health check, with the image's environment) with the real binary on
// the example configuration. No image is built: no registry is reachable from the tests.
func TestContainerCommands(t *testing.T) {
	t.Parallel()
	bin := buildGisgw(t)

	t.Run("Dockerfile", func(t *testing.T) {
		t.Parallel()
		df := parseDockerfile(t, "../../deploy/Dockerfile")
		if len(df.entrypoint) == 0 || len(df.cmd) == 0 || len(df.healthcheck) == 0 {
			t.Fatalf("final stage: entrypoint %v, cmd %v, healthcheck %v; want all three", df.entrypoint, df.cmd, df.healthcheck)
		}
		h := newDeployHost(t, bin)
		env := make([]string, len(df.env))
		for i, e := range df.env {
			env[i] = h.repl.Replace(e)
		}
		h.runOK(t, env, h.command(append(append([]string{}, df.entrypoint...), "migrate", "--config", "/etc/gisgw/gisgw.yaml"))...)
		h.serve(t, env, h.command(append(append([]string{}, df.entrypoint...), df.cmd...)), h.command(df.healthcheck))
	})

	t.Run("compose", func(t *testing.T) {
		t.Parallel()
		var c struct {
			Services map[string]struct {
				Command     []string          `yaml:"command"`
				Environment map[string]string `yaml:"environment"`
				Healthcheck struct {
					Test []string `yaml:"test"`
				} `yaml:"healthcheck"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(mustRead(t, "../../deploy/compose.yaml"), &c); err != nil {
			t.Fatalf("compose.yaml: %v", err)
		}
		for _, name := range []string{"postgres", "tunnel", "migrate", "gisgw"} {
			if _, ok := c.Services[name]; !ok {
				t.Errorf("compose.yaml has no service %s", name)
			}
		}
		mig, run := c.Services["migrate"], c.Services["gisgw"]
		if len(mig.Command) == 0 || len(run.Command) == 0 || len(run.Healthcheck.Test) < 2 || run.Healthcheck.Test[0] != "CMD" {
			t.Fatalf("migrate %v, gisgw %v, health check %v", mig.Command, run.Command, run.Healthcheck.Test)
		}
		if !strings.HasPrefix(run.Environment["GISGW_DB"], "postgres://") {
			t.Errorf("the compose daemon's GISGW_DB = %q, want the postgres service", run.Environment["GISGW_DB"])
		}
		df := parseDockerfile(t, "../../deploy/Dockerfile")
		h := newDeployHost(t, bin)
		env := make([]string, 0, len(df.env)+1)
		for _, e := range df.env {
			env = append(env, h.repl.Replace(e))
		}
		// The postgres service stands in as an SQLite file: the store is not what is checked here.
		env = append(env, "GISGW_DB="+h.path("/var/lib/gisgw/compose.db"))
		entry := func(args []string) []string { return h.command(append(append([]string{}, df.entrypoint...), args...)) }
		if out := h.runOK(t, env, entry(mig.Command)...); !strings.Contains(out, "migrated") {
			t.Fatalf("compose migrate: %s", out)
		}
		h.serve(t, env, entry(run.Command), h.command(run.Healthcheck.Test[1:]))
	})
}

// TestHealthURL: the probe asks loopback when the daemon listens on every interface.
func TestHealthURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ listen, want string }{
		{"0.0.0.0:8686", "http://127.0.0.1:8686/healthz"},
		{":8686", "http://127.0.0.1:8686/healthz"},
		{"[::]:8686", "http://127.0.0.1:8686/healthz"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000/healthz"},
		{"[::1]:8686", "http://[::1]:8686/healthz"},
	} {
		got, err := healthURL(tc.listen)
		if err != nil || got != tc.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tc.listen, got, err, tc.want)
		}
	}
	if _, err := healthURL("8686"); err == nil {
		t.Error("healthURL(\"8686\") succeeded")
	}
	code, _, stderr := runCLI(t, "health", "--url", fmt.Sprintf("http://127.0.0.1:%d/healthz", freePort(t)), "--timeout", "2s")
	if code != 1 || !strings.Contains(stderr, "does not answer") {
		t.Errorf("health with nothing listening: code %d, stderr %q", code, stderr)
	}
}
