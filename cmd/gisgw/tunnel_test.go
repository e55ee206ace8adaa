package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/apptest"
)

// gostPKI makes a GOST R 34.10-2012 (256) CA with a server and a client certificate, and a
// stranger's client certificate from another CA, with OpenSSL's GOST engine.
func gostPKI(t *testing.T, dir string) {
	t.Helper()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, k := range []string{"ca", "server", "client", "otherca", "stranger"} {
		run("genpkey", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", "-out", k+".key")
	}
	run("req", "-engine", "gost", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=GIS test CA", "-days", "30", "-out", "ca.crt")
	run("req", "-engine", "gost", "-x509", "-new", "-key", "otherca.key", "-subj", "/CN=Other CA", "-days", "30", "-out", "otherca.crt")
	for _, c := range []struct{ name, cn, ca string }{
		{"server", "localhost", "ca"}, {"client", "gisgw test organization", "ca"}, {"stranger", "stranger", "otherca"},
	} {
		run("req", "-engine", "gost", "-new", "-key", c.name+".key", "-subj", "/CN="+c.cn, "-out", c.name+".csr")
		run("x509", "-engine", "gost", "-req", "-in", c.name+".csr", "-CA", c.ca+".crt", "-CAkey", c.ca+".key",
			"-CAcreateserial", "-days", "30", "-out", c.name+".crt")
	}
}

// stunnelProc runs stunnel on conf with the documented OpenSSL configuration; its log goes to
// the returned file.
func stunnelProc(t *testing.T, stunnel, conf, logPath string) {
	t.Helper()
	opensslConf, err := filepath.Abs("../../deploy/stunnel/openssl-gost.cnf")
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(stunnel, conf)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+opensslConf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stunnel: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
}

func waitListening(t *testing.T, addr, logPath string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s; stunnel log:\n%s", addr, mustRead(t, logPath))
}

// TestGOSTTunnel runs gisgw through the documented stunnel client configuration to the
// simulator behind a TLS server that speaks only GOST cipher suites and requires a GOST
// client certificate: a full run --once answers every sub-request; with a stranger's client
// certificate the run fails and the tunnel's log says that the certificate was refused.
func TestGOSTTunnel(t *testing.T) {
	t.Parallel()
	stunnel, err := exec.LookPath("stunnel4")
	if err != nil {
		stunnel, err = exec.LookPath("stunnel")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("stunnel is not installed (.ci/deps.sh installs stunnel4)")
		}
		t.Skip("stunnel is not installed: run make deps")
	}
	dir := t.TempDir()
	gostPKI(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	today := time.Now().In(time.FixedZone("MSK", 3*3600))
	w := apptest.NewWorld(t, 8, 15, today)
	sim := gissim.New(gissim.Options{Delay: 10 * time.Millisecond, Seed: 15, Verify: gissim.VerifySignatures(nil), CheckAttachments: true})
	sim.SetToday(today)
	if err := sim.LoadScenario(bytes.NewReader(w.Scenario)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()

	// GIS: GOST cipher suites only, a client certificate from its CA required.
	gisAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	serverConf := filepath.Join(dir, "gis-server.conf")
	writeMode(t, serverConf, fmt.Sprintf(`foreground = yes
pid =
[gis]
accept = %s
connect = %s
cert = %s/server.crt
key = %s/server.key
CAfile = %s/ca.crt
verifyChain = yes
requireCert = yes
sslVersion = TLSv1.2
ciphers = GOST2012-KUZNYECHIK-KUZNYECHIKOMAC:GOST2012-MAGMA-MAGMAOMAC:IANA-GOST2012-GOST8912-GOST8912:LEGACY-GOST2012-GOST8912-GOST8912
`, gisAddr, strings.TrimPrefix(srv.URL, "http://"), dir, dir, dir), 0o600)
	serverLog := filepath.Join(dir, "gis-server.log")
	stunnelProc(t, stunnel, serverConf, serverLog)
	waitListening(t, gisAddr, serverLog)

	t.Run("the server speaks only GOST", func(t *testing.T) {
		out, _ := exec.Command("openssl", "s_client", "-connect", gisAddr, "-cert", filepath.Join(dir, "server.crt"),
			"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA", "-tls1_2").CombinedOutput()
		if strings.Contains(string(out), "Cipher is ECDHE") || strings.Contains(string(out), "Cipher is AES") {
			t.Fatalf("a client without GOST suites got a session:\n%s", out)
		}
	})

	// The documented client configuration, with this test's files, ports and server.
	tmpl := string(mustRead(t, "../../deploy/stunnel/gisgw-tunnel.conf"))
	prodPort, sitPort := freePort(t), freePort(t)
	tunnel := func(name, cert string) (endpoint, logPath string) {
		keys := filepath.Join(dir, name)
		if err := os.MkdirAll(keys, 0o700); err != nil {
			t.Fatal(err)
		}
		for src, dst := range map[string]string{cert + ".crt": "client.crt", cert + ".key": "client.key", "ca.crt": "gis-ca.pem"} {
			writeMode(t, filepath.Join(keys, dst), string(mustRead(t, filepath.Join(dir, src))), 0o600)
		}
		var lines []string
		for _, l := range strings.Split(tmpl, "\n") {
			if strings.HasPrefix(l, "setuid") || strings.HasPrefix(l, "setgid") {
				continue // the test is not root everywhere; the drop is the service's business
			}
			lines = append(lines, l)
		}
		conf := strings.NewReplacer(
			"/etc/stunnel/gisgw/", keys+"/",
			"127.0.0.1:1443", "127.0.0.1:"+strconv.Itoa(prodPort),
			"127.0.0.1:10081", "127.0.0.1:"+strconv.Itoa(sitPort),
			"connect = api.dom.gosuslugi.ru:443", "connect = "+gisAddr,
			"connect = sit01.dom.test.gosuslugi.ru:10081", "connect = "+gisAddr,
			"= api.dom.gosuslugi.ru", "= localhost",
			"= sit01.dom.test.gosuslugi.ru", "= localhost",
		).Replace(strings.Join(lines, "\n"))
		for _, l := range strings.Split(conf, "\n") {
			if !strings.HasPrefix(l, ";") && (strings.Contains(l, "gosuslugi.ru") || strings.Contains(l, "/etc/stunnel")) {
				t.Fatalf("the templated tunnel configuration still says %q:\n%s", l, conf)
			}
		}
		path := filepath.Join(dir, name+".conf")
		writeMode(t, path, conf, 0o600)
		logPath = filepath.Join(dir, name+".log")
		stunnelProc(t, stunnel, path, logPath)
		addr := "127.0.0.1:" + strconv.Itoa(prodPort)
		waitListening(t, addr, logPath)
		return "http://" + addr, logPath
	}

	key, cert := apptest.TestKey(t)
	db := filepath.Join(dir, "gisgw.db")
	if err := w.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	runOnce := func(endpoint, name string) (childRun, string) {
		cfg := writeChildConfig(t, filepath.Join(dir, name), childConfig{
			DSN: db, Endpoint: endpoint, Key: key, Cert: cert, Poll: "[20ms, 50ms]", LogLevel: "info",
			BatchSize: 10, Concurrency: 1, PollLimit: "30s",
		})
		logPath := filepath.Join(dir, name, "daemon.log")
		return runChild(ctx, t, logPath, "run", "--once", "--config", cfg), logPath
	}

	endpoint, tunnelLog := tunnel("tunnel", "client")
	if err := os.MkdirAll(filepath.Join(dir, "good"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, logPath := runOnce(endpoint, "good")
	if r.Err != nil {
		t.Fatalf("run --once through the tunnel: %v\n%s\ntunnel:\n%s", r.Err, childLogTail(logPath, 30), mustRead(t, tunnelLog))
	}
	sent := 0
	for _, a := range sim.Answers() {
		if a.ResponseStatus == "Sent" {
			sent++
		}
	}
	if sent == 0 {
		t.Fatalf("no answer reached the simulator through the tunnel\n%s", childLogTail(logPath, 30))
	}
	if !strings.Contains(string(mustRead(t, serverLog)), "Certificate accepted at depth=0: CN=gisgw test organization") {
		t.Errorf("the GOST server did not check the organization's certificate:\n%s", mustRead(t, serverLog))
	}
	t.Logf("%d answers sent through the GOST tunnel", sent)

	// The same tunnel with a certificate GIS does not know: the run fails, the tunnel says why.
	prodPort, sitPort = freePort(t), freePort(t)
	endpoint, tunnelLog = tunnel("stranger-tunnel", "stranger")
	if err := os.MkdirAll(filepath.Join(dir, "stranger"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, logPath = runOnce(endpoint, "stranger")
	if r.Err == nil {
		t.Fatalf("run --once with a stranger's client certificate succeeded\n%s", childLogTail(logPath, 30))
	}
	if log := childLogTail(logPath, 5); !strings.Contains(log, "gisgw run: pull") || !strings.Contains(log, endpoint) {
		t.Errorf("the daemon's error does not name the failed pull and the tunnel's address %s:\n%s", endpoint, log)
	}
	if log := string(mustRead(t, tunnelLog)); !strings.Contains(log, "alert unknown ca") {
		t.Errorf("the tunnel's log does not say that GIS refused the client certificate:\n%s", log)
	}
	if log := string(mustRead(t, serverLog)); !strings.Contains(log, "certificate verify failed") {
		t.Errorf("the server's log does not say that it refused the client certificate:\n%s", log)
	}
	t.Logf("refused run: %v; daemon log:\n%s", r.Err, childLogTail(logPath, 5))
}
