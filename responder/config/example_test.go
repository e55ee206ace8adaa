package config_test

import (
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gisgw/gisgw/responder/config"
)

// TestExampleListsEveryKey: deploy/gisgw.example.yaml decodes strictly and shows every key
// of Config (found by reflection over the yaml tags), so the example documents them all.
func TestExampleListsEveryKey(t *testing.T) {
	t.Parallel()
	const path = "../../deploy/gisgw.example.yaml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.Parse(strings.NewReader(string(b))); err != nil {
		t.Fatalf("strict decoding: %v", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	exampleKeys(&root, "", have)
	want := structKeys(reflect.TypeFor[config.Config](), "")
	if len(want) < 40 {
		t.Fatalf("reflection found only %d keys: %v", len(want), want)
	}
	for _, k := range want {
		if !have[k] {
			t.Errorf("%s lacks the key %s", path, k)
		}
	}
}

// structKeys lists the dotted yaml keys of t; a struct inside a slice contributes its
// fields under the slice's key.
func structKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := strings.TrimPrefix(prefix+"."+name, ".")
		keys = append(keys, key)
		ft := f.Type
		for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, structKeys(ft, key)...)
		}
	}
	sort.Strings(keys)
	return keys
}

func exampleKeys(n *yaml.Node, prefix string, have map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			exampleKeys(c, prefix, have)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := strings.TrimPrefix(prefix+"."+n.Content[i].Value, ".")
			have[key] = true
			exampleKeys(n.Content[i+1], key, have)
		}
	}
}

// TestRefuseExpiredDefault: unset, refuse_expired means true (signing with an invalid
// certificate is refused); false in the file is kept.
func TestRefuseExpiredDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml string
		want bool
	}{
		{"db: x\n", true},
		{"signing: {key: k.pem}\n", true},
		{"signing: {refuse_expired: true}\n", true},
		{"signing: {refuse_expired: false}\n", false},
	} {
		c, err := config.Parse(strings.NewReader(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Signing.RefusesExpired(); got != tc.want {
			t.Errorf("%q: RefusesExpired = %v, want %v", tc.yaml, got, tc.want)
		}
		if got := *c.WithDefaults().Signing.RefuseExpired; got != tc.want {
			t.Errorf("%q: after WithDefaults refuse_expired = %v, want %v", tc.yaml, got, tc.want)
		}
	}
}

// TestDashboardPortIsNotTheTunnels: the dashboard's default and the example's listen stay
// off the port of the local GOST TLS tunnel the example's gis.endpoint names (deploy/stunnel
// listens there); both on one port is "bind: address already in use".
func TestDashboardPortIsNotTheTunnels(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/gisgw.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.GIS.Endpoint)
	if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "" {
		t.Fatalf("the example's gis.endpoint %q is not a local tunnel address; update this test", cfg.GIS.Endpoint)
	}
	tunnel := u.Port()
	for _, port := range []string{tunnel, "8080"} { // 8080: the tunnel's port in older examples
		for name, addr := range map[string]string{"DefaultListen": config.DefaultListen, "example listen": cfg.Listen} {
			if strings.HasSuffix(addr, ":"+port) {
				t.Errorf("%s = %s: collides with the tunnel on %s", name, addr, port)
			}
		}
	}
}
