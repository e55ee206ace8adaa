package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/config"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	boom := errors.New("GIS answers 503")
	for _, c := range []struct {
		name   string
		steps  func(h *health)
		unread string // "" when ready
	}{
		{"nothing yet", func(*health) {}, ""},
		{"two failed pulls", func(h *health) { h.pulled("org-1", boom); h.pulled("org-1", boom) }, ""},
		{"three failed pulls", func(h *health) {
			for range 3 {
				h.pulled("org-1", boom)
			}
		}, "the last 3 pulls of organization org-1 failed: GIS answers 503"},
		{"a success in between", func(h *health) {
			h.pulled("org-1", boom)
			h.pulled("org-1", boom)
			h.pulled("org-1", nil)
			h.pulled("org-1", boom)
		}, ""},
		{"another organization's failures", func(h *health) {
			for range 3 {
				h.pulled("org-2", boom)
				h.pulled("org-1", nil)
			}
		}, "organization org-2"},
		{"answering passes", func(h *health) {
			for range 3 {
				h.answered(boom)
			}
		}, "the last 3 answering passes failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHealth(3)
			c.steps(h)
			got := h.unready()
			if (c.unread == "") != (got == "") || !strings.Contains(got, c.unread) {
				t.Errorf("unready() = %q; want %q", got, c.unread)
			}
		})
	}
	if got := newHealth(0); got.unready() != "" {
		t.Error("a limit of 0 must not make the daemon unready")
	}
}

func TestFirstPullWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		cfg  config.Config
		want time.Duration
	}{
		{"as far as GIS keeps", config.Config{}, now.Sub(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))},
		{"first_pull_days", config.Config{GIS: config.GIS{FirstPullDays: 90}, Pipeline: config.Pipeline{PullWindow: config.Duration(time.Hour)}}, 90 * 24 * time.Hour},
		{"the deprecated pull_window", config.Config{Pipeline: config.Pipeline{PullWindow: config.Duration(48 * time.Hour)}}, 48 * time.Hour},
	} {
		if got := firstPullWindow(c.cfg, now); got != c.want {
			t.Errorf("%s: %s; want %s", c.name, got, c.want)
		}
	}
}
