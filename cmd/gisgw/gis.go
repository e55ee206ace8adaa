package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	gsoap "github.com/hooklift/gowsdl/soap"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/soap/xades"
	"github.com/gisgw/gisgw/wsdl"
)

// gisPasswordEnv holds the HTTP basic-auth password of a test stand, kept out of the
// command line (and so out of shell history and ps).
const gisPasswordEnv = "GISGW_BASIC_PASSWORD"

func gisExportCommand() command {
	return command{"list the sub-requests in GIS ZhKKh (--config FILE | --endpoint URL --org GUID; --from DATE --to DATE)", runGISExport}
}

func gisStateCommand() command {
	return command{"show the state and result of a GIS message (--config FILE | --endpoint URL --org GUID; MESSAGEGUID)", runGISState}
}

// gisConn holds the connection flags both gis commands share.
type gisConn struct {
	endpoint, org string
	cert, key, ca string
	insecure      bool
	basicUser     string
	operator      bool
	timeout       time.Duration
	dumpDir       string
	poll          string
	retryWait     time.Duration
	retries       int
	verbose       bool
	signKey       string // XAdES signing key (export only); empty = unsigned
	signCert      string
	signPassEnv   string
	configPath    string
	signPassword  string // from the configuration's signing.key_password
	onPage        func(gisclient.PageEvent)
	getenv        func(string) string
	stderr        io.Writer
}

func (g *gisConn) register(fs *flag.FlagSet) {
	fs.StringVar(&g.endpoint, "endpoint", "", "service base URL, e.g. https://api.dom.gosuslugi.ru or http://127.0.0.1:8080 (local GOST TLS tunnel); the DRS path is appended when the URL has none")
	fs.StringVar(&g.org, "org", "", "orgPPAGUID of the organization (GIS ZhKKh profile)")
	fs.StringVar(&g.configPath, "config", os.Getenv("GISGW_CONFIG"), "configuration `FILE` (YAML) to take the gis section, the one organization and the signing pair from; flags override it (default $GISGW_CONFIG)")
	fs.StringVar(&g.cert, "tls-cert", "", "PEM client certificate for TLS client authentication")
	fs.StringVar(&g.key, "tls-key", "", "PEM private key of --tls-cert")
	// The old names meant the TLS pair here but the signing pair in run; kept for scripts.
	fs.StringVar(&g.cert, "cert", "", "deprecated: use --tls-cert")
	fs.StringVar(&g.key, "key", "", "deprecated: use --tls-key")
	fs.StringVar(&g.ca, "ca", "", "PEM CA bundle to verify the server (default: system roots)")
	fs.BoolVar(&g.insecure, "insecure", false, "do not verify the server certificate (test stands only)")
	fs.StringVar(&g.basicUser, "basic-user", "", "HTTP basic-auth user (SIT test stands); the password is read from $"+gisPasswordEnv)
	fs.BoolVar(&g.operator, "operator-signature", false, "mark messages as signed by the IS operator (IsOperatorSignature)")
	fs.DurationVar(&g.timeout, "timeout", 2*time.Minute, "timeout of one HTTP exchange")
	fs.StringVar(&g.dumpDir, "dump-dir", "", "write every envelope sent and every response received to this directory (holds personal data)")
	fs.StringVar(&g.poll, "poll", "", "getState schedule, comma-separated waits, the last repeating (default 10s,60s,300s,900s,1800s, the official one)")
	fs.DurationVar(&g.retryWait, "retry-wait", 2*time.Second, "first wait before retrying a transient failure (growing 1.5× per retry, up to 1m)")
	fs.IntVar(&g.retries, "retries", 5, "retries of a transient failure within one exchange (0 = none)")
	fs.BoolVar(&g.verbose, "verbose", false, "log every exchange to stderr")
}

// registerSigning adds the flags of the XAdES-BES signature of business messages.
func (g *gisConn) registerSigning(fs *flag.FlagSet) {
	fs.StringVar(&g.signKey, "sign-key", "", "PEM private key (GOST R 34.10-2012 or RSA) to sign the request with (XAdES-BES); without it the request is sent unsigned")
	fs.StringVar(&g.signCert, "sign-cert", "", "PEM or DER certificate of --sign-key")
	fs.StringVar(&g.signPassEnv, "sign-key-password-env", "", "name of the environment variable holding the password of an encrypted --sign-key")
}

// signer loads the signing key pair, or returns nil when no --sign-key is given.
func (g *gisConn) signer() (gisclient.Signer, error) {
	if g.signKey == "" && g.signCert == "" {
		if g.signPassEnv != "" {
			return nil, errors.New("--sign-key-password-env is set but --sign-key is not")
		}
		return nil, nil
	}
	if g.signKey == "" || g.signCert == "" {
		return nil, errors.New("--sign-key and --sign-cert go together: give both")
	}
	keyPEM, err := os.ReadFile(g.signKey)
	if err != nil {
		return nil, fmt.Errorf("--sign-key: %w", err)
	}
	cert, err := os.ReadFile(g.signCert)
	if err != nil {
		return nil, fmt.Errorf("--sign-cert: %w", err)
	}
	password := g.signPassword
	if g.signPassEnv != "" {
		password = g.getenv(g.signPassEnv)
		if password == "" {
			return nil, fmt.Errorf("--sign-key-password-env %s: the variable is empty or not set", g.signPassEnv)
		}
	}
	kp, err := xades.LoadKeyPair(keyPEM, cert, password)
	if err != nil {
		return nil, fmt.Errorf("--sign-key %s with --sign-cert %s: %w", g.signKey, g.signCert, err)
	}
	s, err := xades.NewSigner(kp, xades.Options{Logger: slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, fmt.Errorf("--sign-cert %s: %w", g.signCert, err)
	}
	return s, nil
}

// applyConfig fills what the command line left unset from --config: the gis section, the
// organization when the file names exactly one, and (with signing) the signing pair.
func (g *gisConn) applyConfig(fs *flag.FlagSet, signing bool) error {
	if g.configPath == "" {
		return nil
	}
	cfg, err := config.Load(g.configPath, nil)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	str := func(dst *string, val string, names ...string) {
		for _, n := range names {
			if set[n] {
				return
			}
		}
		*dst = val
	}
	gc := cfg.GIS
	str(&g.endpoint, gc.Endpoint, "endpoint")
	str(&g.cert, gc.ClientCert, "tls-cert", "cert")
	str(&g.key, gc.ClientKey, "tls-key", "key")
	str(&g.ca, gc.CA, "ca")
	str(&g.basicUser, gc.BasicUser, "basic-user")
	str(&g.dumpDir, gc.DumpDir, "dump-dir")
	if !set["insecure"] {
		g.insecure = gc.InsecureSkipVerify
	}
	if !set["timeout"] && gc.Timeout > 0 {
		g.timeout = time.Duration(gc.Timeout)
	}
	if g.getenv(gisPasswordEnv) == "" && gc.BasicPassword != "" {
		pw := gc.BasicPassword.Reveal()
		env := g.getenv
		g.getenv = func(k string) string {
			if k == gisPasswordEnv {
				return pw
			}
			return env(k)
		}
	}
	if len(cfg.Organizations) == 1 {
		str(&g.org, cfg.Organizations[0].OrgPPAGUID, "org")
		if !set["operator-signature"] {
			g.operator = cfg.Organizations[0].OperatorSignature
		}
	}
	if signing && !set["sign-key"] && !set["sign-cert"] {
		g.signKey, g.signCert, g.signPassword = cfg.Signing.Key, cfg.Signing.Cert, cfg.Signing.KeyPassword.Reveal()
	}
	return nil
}

// check reports missing required flags before anything else is looked at.
func (g *gisConn) check() error {
	if g.endpoint == "" {
		return errors.New("--endpoint is required (e.g. http://127.0.0.1:8080 for a local stunnel to api.dom.gosuslugi.ru)")
	}
	if g.org == "" {
		return errors.New("--org is required (the organization's orgPPAGUID; --config supplies it when the file names one organization)")
	}
	return nil
}

func (g *gisConn) client() (*gisclient.Client, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	poll, err := gisParsePoll(g.poll)
	if err != nil {
		return nil, err
	}
	topts := gisclient.TransportOptions{
		ClientCertFile: g.cert, ClientKeyFile: g.key, CAFile: g.ca, InsecureSkipVerify: g.insecure,
		BasicUser: g.basicUser, Timeout: g.timeout,
	}
	if g.basicUser != "" {
		topts.BasicPassword = g.getenv(gisPasswordEnv)
		if topts.BasicPassword == "" {
			return nil, fmt.Errorf("--basic-user is set but $%s is empty", gisPasswordEnv)
		}
	}
	hc, err := gisclient.NewHTTPClient(topts)
	if err != nil {
		return nil, err
	}
	signer, err := g.signer()
	if err != nil {
		return nil, err
	}
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelDebug
	}
	retries := g.retries
	if retries <= 0 {
		retries = -1
	}
	return gisclient.New(gisclient.Options{
		Endpoint:            g.endpoint,
		OrgPPAGUID:          g.org,
		IsOperatorSignature: g.operator,
		HTTPClient:          hc,
		Signer:              signer,
		Logger:              slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level})),
		Poll:                poll,
		Retry:               gisclient.Retry{InitialInterval: g.retryWait, MaxRetries: retries},
		DumpDir:             g.dumpDir,
		OnPage:              g.onPage,
	})
}

func gisParsePoll(s string) ([]time.Duration, error) {
	if s == "" {
		return nil, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("--poll %q: %q is not a duration like 10s or 5m", s, part)
		}
		out = append(out, d)
	}
	return out, nil
}

// gisParseDate accepts 2026-11-22 and 22.11.2026.
func gisParseDate(flagName, s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: give a date as YYYY-MM-DD or DD.MM.YYYY", flagName, s)
}

func gisSplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runGISExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "gis export", "Usage: gisgw gis export [--config FILE] [--endpoint URL --org GUID] --from DATE [--to DATE] [flags]\n\n"+
		"Lists every sub-request GIS ZhKKh holds for the organization (all pages) on stdout;\n"+
		"progress goes to stderr. Each page takes at least one getState round (10 s or more on\n"+
		"the official schedule). The request is signed (XAdES-BES) with --sign-key and\n"+
		"--sign-cert; without them it goes unsigned, which only a simulator or a test stand\n"+
		"that does not check signatures accepts. getState is never signed.")
	conn := &gisConn{getenv: os.Getenv, stderr: env.stderr}
	conn.register(fs.FlagSet)
	conn.registerSigning(fs.FlagSet)
	from := fs.String("from", "", "first day of the period the requests were sent (YYYY-MM-DD); the period may span at most 6 months")
	to := fs.String("to", "", "last day of the period (default: today)")
	respStatus := fs.String("response-status", "", "only sub-requests whose answer is in these states, comma-separated: NotSent, Sent, AutoGenerated (at most 2)")
	reqStatus := fs.String("request-status", "", "only requests in this state: Sent or Processed")
	subrequests := fs.String("subrequest", "", "instead of a period: these sub-request GUIDs, comma-separated (at most 100)")
	numbers := fs.String("request-number", "", "instead of a period: these request numbers, comma-separated (at most 100)")
	format := fs.String("format", "table", "output format: table or json")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	if err := conn.applyConfig(fs.FlagSet, true); err != nil {
		return err
	}
	if err := conn.check(); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("--format %q: use table or json", *format)
	}
	f := gisclient.ExportFilter{SubrequestGUIDs: gisSplitList(*subrequests), RequestNumbers: gisSplitList(*numbers)}
	if *from != "" {
		start, err := gisParseDate("from", *from)
		if err != nil {
			return err
		}
		end := time.Now()
		if *to != "" {
			if end, err = gisParseDate("to", *to); err != nil {
				return err
			}
		}
		f.Period = &gisclient.Period{From: start, To: end}
		f.RequestStatus = wsdl.RequestStatusType(*reqStatus)
		for _, s := range gisSplitList(*respStatus) {
			f.ResponseStatus = append(f.ResponseStatus, wsdl.ResponseStatusType(s))
		}
	} else if len(f.SubrequestGUIDs) == 0 && len(f.RequestNumbers) == 0 {
		return errors.New("give --from DATE (and --to DATE), or --subrequest GUIDs, or --request-number NUMBERS")
	} else if *respStatus != "" || *reqStatus != "" || *to != "" {
		return errors.New("--to, --response-status and --request-status go with --from")
	}
	if _, err := gisclient.ExportRequest(f, ""); err != nil {
		return err
	}
	start := time.Now()
	conn.onPage = func(e gisclient.PageEvent) {
		fmt.Fprintf(env.stderr, "page %d: %d sub-requests, %d so far (%s)\n", e.Page, e.Items, e.Total, time.Since(start).Round(time.Second))
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "exporting sub-requests from %s; GIS answers asynchronously, each page takes a getState round…\n", c.URL())
	var all []*wsdl.DSRType
	for sr, err := range c.ExportDSRs(ctx, f) {
		if err != nil {
			if len(all) > 0 {
				return fmt.Errorf("%w (%d sub-requests received before the failure were not printed)", err, len(all))
			}
			return err
		}
		all = append(all, sr)
	}
	fmt.Fprintf(env.stderr, "%d sub-requests in %s\n", len(all), time.Since(start).Round(time.Millisecond))
	if *format == "json" {
		return gisWriteJSON(env.stdout, all)
	}
	return gisWriteTable(env.stdout, all)
}

// gisSubRequestJSON is one sub-request as `gis export --format json` prints it: what a person
// needs to find the premises and the deadline, without the employees' names.
type gisSubRequestJSON struct {
	SubrequestGUID   string `json:"subrequestGUID"`
	RequestGUID      string `json:"requestGUID,omitempty"`
	RequestNumber    string `json:"requestNumber,omitempty"`
	Organization     string `json:"organization,omitempty"`
	OrganizationGUID string `json:"organizationGUID,omitempty"`
	RequestStatus    string `json:"requestStatus,omitempty"`
	ResponseStatus   string `json:"responseStatus,omitempty"`
	SentDate         string `json:"sentDate,omitempty"`
	ResponseDate     string `json:"responseDate,omitempty"` // the deadline
	PeriodFrom       string `json:"periodFrom,omitempty"`
	PeriodTo         string `json:"periodTo,omitempty"`
	HMObjectGUID     string `json:"hmObjectGUID,omitempty"`
	AddressType      string `json:"addressType,omitempty"`
	HouseGUID        string `json:"houseGUID,omitempty"`
	AddressDetails   string `json:"addressDetails,omitempty"`
	FIASHouseGUID    string `json:"fiasHouseGUID,omitempty"`
	Address          string `json:"address,omitempty"`
	HasDebt          *bool  `json:"hasDebt,omitempty"` // of the answer already given
}

func gisStr[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

func gisXSDDate(d gsoap.XSDDate) string {
	t := d.ToGoTime()
	if t.Year() <= 1 {
		return ""
	}
	return t.Format(time.DateOnly)
}

func gisToJSON(sr *wsdl.DSRType) gisSubRequestJSON {
	out := gisSubRequestJSON{SubrequestGUID: gisStr(sr.SubrequestGUID), ResponseStatus: gisStr(sr.ResponseStatus)}
	if ri := sr.RequestInfo; ri != nil {
		out.RequestGUID, out.RequestNumber, out.RequestStatus = gisStr(ri.RequestGUID), gisStr(ri.RequestNumber), gisStr(ri.Status)
		out.SentDate, out.ResponseDate = gisXSDDate(ri.SentDate), gisXSDDate(ri.ResponseDate)
		if o := ri.Organization; o != nil {
			out.Organization, out.OrganizationGUID = o.Name, gisStr(o.OrgRootGUID)
		}
		if p := ri.Period; p != nil {
			out.PeriodFrom, out.PeriodTo = gisXSDDate(p.StartDate), gisXSDDate(p.EndDate)
		}
		if h := ri.HousingFundObject; h != nil {
			out.HMObjectGUID, out.AddressType = gisStr(h.HMobjectGUID), gisStr(h.AdressType)
			out.HouseGUID, out.AddressDetails = gisStr(h.HouseGUID), gisStr(h.AddressDetails)
			out.FIASHouseGUID, out.Address = gisStr(h.FiasHouseGUID), gisStr(h.Address)
		}
	}
	if r := sr.ResponseData; r != nil {
		has := r.HasDebt
		out.HasDebt = &has
	}
	return out
}

func gisWriteJSON(w io.Writer, all []*wsdl.DSRType) error {
	rows := make([]gisSubRequestJSON, 0, len(all))
	for _, sr := range all {
		rows = append(rows, gisToJSON(sr))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rows)
}

func gisWriteTable(w io.Writer, all []*wsdl.DSRType) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBREQUEST GUID\tREQUEST NUMBER\tSENT\tDEADLINE\tADDRESSING\tADDRESS")
	for _, sr := range all {
		j := gisToJSON(sr)
		addressing := ""
		switch {
		case j.HMObjectGUID != "":
			addressing = "HM " + j.HMObjectGUID + " (" + j.AddressType + ")"
		case j.HouseGUID != "":
			addressing = strings.TrimSpace("house " + j.HouseGUID + " " + j.AddressDetails)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.SubrequestGUID, j.RequestNumber, j.SentDate, j.ResponseDate,
			gisOneLine(addressing), gisOneLine(j.Address))
	}
	return tw.Flush()
}

// gisOneLine keeps a value from breaking the table (tabs and newlines from GIS data).
func gisOneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func runGISState(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "gis state", "Usage: gisgw gis state [--config FILE] [--endpoint URL --org GUID] [--wait] MESSAGEGUID\n\n"+
		"Prints the state of a message GIS acknowledged (its MessageGUID from the Ack) and a\n"+
		"summary of its result.")
	conn := &gisConn{getenv: os.Getenv, stderr: env.stderr}
	conn.register(fs.FlagSet)
	wait := fs.Bool("wait", false, "poll on the --poll schedule until GIS has processed the message")
	msg, err := fs.parse(args, "MESSAGEGUID")
	if err != nil {
		return err
	}
	if err := conn.applyConfig(fs.FlagSet, false); err != nil {
		return err
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	var res *wsdl.GetStateResult
	if *wait {
		res, err = c.Await(ctx, msg)
		var ge *gisclient.Error
		if res != nil && errors.As(err, &ge) {
			err = nil // a result-level error is part of the summary below
		}
	} else {
		res, err = c.GetState(ctx, msg)
	}
	if err != nil {
		return err
	}
	return gisWriteState(env.stdout, msg, res)
}

func gisWriteState(w io.Writer, guid string, res *wsdl.GetStateResult) error {
	state := gisStr(res.RequestState)
	name := map[string]string{"1": "received", "2": "processing", "3": "processed"}[state]
	fmt.Fprintf(w, "message %s: state %s (%s)\n", guid, state, name)
	if em := res.ErrorMessage; em != nil {
		hint := ""
		switch em.ErrorCode {
		case gisclient.CodeNoObjects:
			hint = " — the export matched nothing"
		case gisclient.CodeTransfer:
			hint = " — transient; send the request again as a new message"
		}
		fmt.Fprintf(w, "GIS error %s: %s%s\n", em.ErrorCode, em.Description, hint)
	}
	if r := res.ExportDSRsResult; r != nil {
		p, err := gisclient.PageOf(res)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "export result: %d sub-requests", len(p.SubRequests))
		if p.Last {
			fmt.Fprintln(w, ", last page")
		} else {
			fmt.Fprintf(w, ", next page cursor %s\n", p.Next)
		}
		if len(p.NotFound) > 0 {
			fmt.Fprintf(w, "not found: %s\n", strings.Join(p.NotFound, ", "))
		}
		if err := gisWriteTable(w, p.SubRequests); err != nil {
			return err
		}
	}
	if len(res.ImportResult) > 0 {
		ok := 0
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TRANSPORT GUID\tRESULT\tGUID / ERROR")
		for _, r := range res.ImportResult {
			if r == nil {
				continue
			}
			if len(r.Error) == 0 {
				ok++
				upd := ""
				if r.UpdateDate != nil {
					upd = " at " + r.UpdateDate.ToGoTime().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\tOK\t%s%s\n", gisStr(r.TransportGUID), gisStr(r.GUID), upd)
				continue
			}
			var msgs []string
			for _, e := range r.Error {
				if e != nil {
					msgs = append(msgs, e.ErrorCode+" "+gisOneLine(e.Description))
				}
			}
			fmt.Fprintf(tw, "%s\tERROR\t%s\n", gisStr(r.TransportGUID), strings.Join(msgs, "; "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "import result: %d of %d actions accepted\n", ok, len(res.ImportResult))
	}
	return nil
}
