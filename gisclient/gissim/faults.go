package gissim

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Faults are the failures the simulator injects into SOAP calls, as rates in 0..1 of all
// calls (the sum of the first four must not exceed 1), plus a latency added to every call.
// The later kinds are drawn on their own, each only where it applies.
type Faults struct {
	HTTP500, HTTP503 float64       // HTTP 500 / 503 with an HTML or plain-text body
	EXP001000        float64       // SOAP Fault EXP001000 (soapenv:Server, detail base:Fault)
	Drop             float64       // connection closed without a response, before any processing
	Latency          time.Duration // added to every call

	// LostResponse is the rate of importDSRResponsesRequest messages that are accepted
	// (and processed as usual) but answered by closing the connection instead of the Ack:
	// the sender cannot know that GIS has them.
	LostResponse float64
	// Stuck is the rate of exportDSRsRequest messages that are never processed: getState
	// answers RequestState 2 for ever (1 = every export). Options.StuckOrgs, when not
	// empty, limits it to the exports of those organizations.
	Stuck float64
	// Backwards is the rate of business messages whose getState answers RequestState 2,
	// then 1 from then on; they are never processed.
	Backwards float64
	// UploadFail is the rate of file-store uploads (a whole-file PUT, a part, a completion)
	// answered with HTTP 500 without storing anything; uploads of a file named in
	// Options.UploadFailNames always fail so.
	UploadFail float64
}

// ParseFaults reads the --faults syntax: comma-separated key=value pairs with the keys
// 500, 503, exp, drop (rates 0..1) and latency (a Go duration), e.g.
// "500=0.05,503=0.02,exp=0.03,drop=0.02,latency=50ms". The keys lost, stuck, backwards and
// upload set LostResponse, Stuck, Backwards and UploadFail. An empty spec is no faults.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	seen := map[string]bool{}
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || val == "" {
			return Faults{}, fmt.Errorf("faults: %q is not key=value (keys: %s)", part, faultKeys)
		}
		if seen[key] {
			return Faults{}, fmt.Errorf("faults: %q sets %s a second time", part, key)
		}
		seen[key] = true
		if key == "latency" {
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return Faults{}, fmt.Errorf("faults: %q: latency must be a non-negative duration such as 50ms", part)
			}
			f.Latency = d
			continue
		}
		var dst *float64
		switch key {
		case "500":
			dst = &f.HTTP500
		case "503":
			dst = &f.HTTP503
		case "exp", "exp001000":
			dst = &f.EXP001000
		case "drop":
			dst = &f.Drop
		case "lost":
			dst = &f.LostResponse
		case "stuck":
			dst = &f.Stuck
		case "backwards":
			dst = &f.Backwards
		case "upload":
			dst = &f.UploadFail
		default:
			return Faults{}, fmt.Errorf("faults: %q: unknown key %q (keys: %s)", part, key, faultKeys)
		}
		r, err := strconv.ParseFloat(val, 64)
		if err != nil || r < 0 || r > 1 || r != r {
			return Faults{}, fmt.Errorf("faults: %q: a rate is a number from 0 to 1", part)
		}
		*dst = r
	}
	if err := f.validate(); err != nil {
		return Faults{}, fmt.Errorf("faults: %q: %w", spec, err)
	}
	return f, nil
}

const faultKeys = "500, 503, exp, drop, lost, stuck, backwards, upload, latency"

func (f Faults) validate() error {
	for _, r := range []float64{f.LostResponse, f.Stuck, f.Backwards, f.UploadFail} {
		if r < 0 || r > 1 || r != r {
			return fmt.Errorf("a rate of %v is outside 0..1", r)
		}
	}
	if sum := f.HTTP500 + f.HTTP503 + f.EXP001000 + f.Drop; sum > 1+1e-9 {
		return fmt.Errorf("the rates add up to %.3g, more than 1", sum)
	}
	return nil
}

type faultKind int

const (
	faultNone faultKind = iota
	fault500
	fault503
	faultEXP
	faultDrop
)

// drawFault decides, with one draw, whether this call fails and how. Callers hold s.mu.
func (s *Sim) drawFault() faultKind {
	f := s.opts.Faults
	if f.HTTP500+f.HTTP503+f.EXP001000+f.Drop <= 0 {
		return faultNone
	}
	u := s.faultRnd.Float64()
	for _, c := range []struct {
		rate float64
		kind faultKind
	}{{f.HTTP500, fault500}, {f.HTTP503, fault503}, {f.EXP001000, faultEXP}, {f.Drop, faultDrop}} {
		if u < c.rate {
			switch c.kind {
			case fault500:
				s.stats.Faults.HTTP500++
			case fault503:
				s.stats.Faults.HTTP503++
			case faultEXP:
				s.stats.Faults.EXP001000++
			case faultDrop:
				s.stats.Faults.Drop++
			}
			return c.kind
		}
		u -= c.rate
	}
	return faultNone
}

// The bodies of injected HTTP errors look like a front-end proxy's, not like SOAP.
const (
	page500 = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	text503 = "Service Temporarily Unavailable\n"
	textEXP = "Произошла ошибка при передаче данных. Попробуйте осуществить передачу данных повторно. В случае повторения ошибки обратитесь в службу поддержки"
)

func (s *Sim) injectFault(w http.ResponseWriter, kind faultKind, op string) {
	s.log.Info("injecting a fault", "op", op, "kind", kindName(kind))
	switch kind {
	case fault500:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(page500))
	case fault503:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(text503))
	case faultEXP:
		s.writeFault(w, "soapenv:Server", CodeTransfer, textEXP)
	case faultDrop:
		s.dropConnection(w)
	}
}

// chance draws one independent fault of the given rate; a zero rate draws nothing, so that
// a seed gives the same run as before the kind existed. Callers hold s.mu.
func (s *Sim) chance(rate float64) bool {
	return rate > 0 && (rate >= 1 || s.faultRnd.Float64() < rate)
}

// dropConnection closes the connection without an HTTP response.
func (s *Sim) dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
			return
		}
		if !errors.Is(err, http.ErrNotSupported) {
			s.log.Warn("cannot take over the connection to drop it", "err", err)
		}
	}
	// HTTP/2 or a recorder: abort the response, which the server turns into a reset.
	panic(http.ErrAbortHandler)
}

func kindName(k faultKind) string {
	switch k {
	case fault500:
		return "http500"
	case fault503:
		return "http503"
	case faultEXP:
		return "exp001000"
	case faultDrop:
		return "drop"
	}
	return "none"
}
