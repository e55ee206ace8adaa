// Package gisport is the daemon's port to GIS ZhKKh: it implements pipeline.GIS with one
// gisclient.Client per organization and the file store, translating between the wire types
// (package wsdl) and the domain types the pipeline works in.
package gisport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gsoap "github.com/hooklift/gowsdl/soap"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/wsdl"
)

// Court-act document type of НСИ 358 that answers cite. Two independent public clients send
// court orders with these values; a stand with other NSI values overrides them in Org.
const (
	defaultDocTypeCode = "1"
	defaultDocTypeGUID = "237b587e-0b10-4702-b78c-8d641c3d4d45"
)

// Files puts a court-act file into the GIS file store and returns the document with its
// AttachmentGUID and AttachmentHASH.
type Files interface {
	Upload(ctx context.Context, org string, doc domain.Document) (domain.Document, error)
}

// Org is one organization: its client and the employee that signs its answers.
type Org struct {
	Client       *gisclient.Client
	ExecutorGUID string
	DocTypeCode  string // НСИ 358 code of the court-act document; default defaultDocTypeCode
	DocTypeGUID  string // its GUID; default defaultDocTypeGUID
}

// Port implements pipeline.GIS.
type Port struct {
	orgs  map[string]Org // by lower-case orgPPAGUID
	files Files
}

// New returns a port for orgs (by orgPPAGUID). files may be nil when no answer will carry
// a document (Upload then fails with a clear error).
func New(orgs map[string]Org, files Files) (*Port, error) {
	p := &Port{orgs: make(map[string]Org, len(orgs)), files: files}
	for guid, o := range orgs {
		if o.Client == nil {
			return nil, fmt.Errorf("gisport: organization %s has no client", guid)
		}
		if o.ExecutorGUID == "" {
			return nil, fmt.Errorf("gisport: organization %s has no executor GUID (the employee answering, ЛК → Администрирование → Сотрудники)", guid)
		}
		if o.DocTypeCode == "" {
			o.DocTypeCode, o.DocTypeGUID = defaultDocTypeCode, defaultDocTypeGUID
		}
		p.orgs[strings.ToLower(guid)] = o
	}
	return p, nil
}

func (p *Port) org(guid string) (Org, error) {
	o, ok := p.orgs[strings.ToLower(guid)]
	if !ok {
		return Org{}, fmt.Errorf("gisport: organization %s is not configured", guid)
	}
	return o, nil
}

// Pull returns every sub-request of org sent in [from, to] with no answer (all pages).
func (p *Port) Pull(ctx context.Context, org string, from, to time.Time) ([]domain.SubRequest, error) {
	o, err := p.org(org)
	if err != nil {
		return nil, err
	}
	f := gisclient.ExportFilter{
		Period:         &gisclient.Period{From: from, To: to},
		ResponseStatus: []wsdl.ResponseStatusType{wsdl.ResponseStatusTypeNotSent},
	}
	return collect(ctx, o.Client, f, org)
}

// Statuses returns GIS's responseStatus of the given sub-requests (100 per export).
func (p *Port) Statuses(ctx context.Context, org string, guids []string) (map[string]string, error) {
	o, err := p.org(org)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(guids))
	for start := 0; start < len(guids); start += gisclient.MaxActions {
		chunk := guids[start:min(start+gisclient.MaxActions, len(guids))]
		srs, err := collect(ctx, o.Client, gisclient.ExportFilter{SubrequestGUIDs: chunk}, org)
		if err != nil {
			return nil, err
		}
		byLower := make(map[string]string, len(chunk))
		for _, g := range chunk {
			byLower[strings.ToLower(g)] = g
		}
		for _, sr := range srs {
			if g, ok := byLower[strings.ToLower(sr.GUID)]; ok {
				out[g] = sr.ResponseStatus
			}
		}
	}
	return out, nil
}

func collect(ctx context.Context, c *gisclient.Client, f gisclient.ExportFilter, org string) ([]domain.SubRequest, error) {
	var out []domain.SubRequest
	for sr, err := range c.ExportDSRs(ctx, f) {
		if errors.Is(err, gisclient.ErrEmpty) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, SubRequestOf(sr, org))
	}
	return out, nil
}

// SubRequestOf converts an exported sub-request.
func SubRequestOf(sr *wsdl.DSRType, org string) domain.SubRequest {
	out := domain.SubRequest{GUID: str(sr.SubrequestGUID), OrgGUID: org, ResponseStatus: str(sr.ResponseStatus), State: domain.StateNew}
	ri := sr.RequestInfo
	if ri == nil {
		return out
	}
	out.RequestGUID, out.RequestNumber = str(ri.RequestGUID), str(ri.RequestNumber)
	out.SentDate, out.ResponseDate = date(ri.SentDate), date(ri.ResponseDate)
	if o := ri.Organization; o != nil {
		out.RequesterGUID, out.RequesterName = str(o.OrgRootGUID), o.Name
	}
	if pr := ri.Period; pr != nil {
		out.PeriodFrom, out.PeriodTo = date(pr.StartDate), date(pr.EndDate)
	}
	if h := ri.HousingFundObject; h != nil {
		out.HouseGUID, out.AddressDetails = str(h.HouseGUID), str(h.AddressDetails)
		out.HMObjectGUID, out.AddressType = str(h.HMobjectGUID), str(h.AdressType)
		out.FIASHouseGUID, out.Address = str(h.FiasHouseGUID), str(h.Address)
	}
	return out
}

// Upload makes sure doc is in the GIS file store.
func (p *Port) Upload(ctx context.Context, org string, doc domain.Document) (domain.Document, error) {
	if p.files == nil {
		return doc, fmt.Errorf("gisport: no file store configured to upload %s", doc.Name)
	}
	return p.files.Upload(ctx, org, doc)
}

// Submit signs and sends m and returns GIS's MessageGUID from the Ack.
func (p *Port) Submit(ctx context.Context, m domain.Message) (string, error) {
	o, err := p.org(m.OrgGUID)
	if err != nil {
		return "", err
	}
	actions, err := o.actions(m)
	if err != nil {
		return "", err
	}
	guid, _, err := o.Client.SubmitImport(ctx, actions)
	return guid, err
}

// Await polls GIS until m is processed and returns one outcome per action. An action GIS
// refused with a transient code goes back to ready, to be sent in a later message.
func (p *Port) Await(ctx context.Context, m domain.Message) ([]domain.Outcome, error) {
	o, err := p.org(m.OrgGUID)
	if err != nil {
		return nil, err
	}
	actions, err := o.actions(m)
	if err != nil {
		return nil, err
	}
	res, err := o.Client.Await(ctx, m.GISMessageGUID)
	if err != nil {
		return nil, err
	}
	results, err := gisclient.ImportResults(res, actions)
	if err != nil && len(results) == 0 {
		return nil, err
	}
	bySub := make(map[string]string, len(m.Actions))
	for _, a := range m.Actions {
		bySub[strings.ToLower(a.TransportGUID)] = a.SubRequestGUID
	}
	outs := make([]domain.Outcome, 0, len(results))
	for _, r := range results {
		out := domain.Outcome{TransportGUID: r.TransportGUID, SubRequestGUID: bySub[strings.ToLower(r.TransportGUID)]}
		switch {
		case r.OK:
			out.State = domain.StateAnswered
		case r.Transient:
			out.State, out.ErrorCode, out.ErrorText = domain.StateReady, r.ErrorCode, r.Description
		default:
			out.State, out.ErrorCode, out.ErrorText = domain.StateFailed, r.ErrorCode, r.Description
		}
		outs = append(outs, out)
	}
	// Actions missing from the result stay without an outcome: the store returns them to
	// ready, so they are sent again in a fresh message.
	return outs, nil
}

// actions builds the wire actions of m, with the message's own TransportGUIDs so that a
// resumed poll maps results back after a restart.
func (o Org) actions(m domain.Message) ([]gisclient.Action, error) {
	out := make([]gisclient.Action, 0, len(m.Actions))
	for _, a := range m.Actions {
		ga := gisclient.Action{TransportGUID: a.TransportGUID, SubrequestGUID: a.SubRequestGUID}
		switch a.Kind {
		case domain.ActionRevoke:
			ga.Type = wsdl.DSRResponseActionTypeRevoke
		case domain.ActionSend:
			ga.Type = wsdl.DSRResponseActionTypeSend
			r, err := o.response(a.Decision)
			if err != nil {
				return nil, fmt.Errorf("answer to %s: %w", a.SubRequestGUID, err)
			}
			ga.Response = r
		default:
			return nil, fmt.Errorf("action %s: unknown kind %q", a.TransportGUID, a.Kind)
		}
		out = append(out, ga)
	}
	return out, nil
}

// response is the importDSRResponse for a decision. The debtor's identity document is not
// sent: the NSI 95 GUID it needs is not in the organization's records; name and SNILS are.
func (o Org) response(d domain.Decision) (*wsdl.ImportDSRResponseType, error) {
	exec := wsdl.GUIDType(o.ExecutorGUID)
	r := &wsdl.ImportDSRResponseType{HasDebt: d.HasDebt, ExecutorGUID: &exec}
	if d.Description != "" {
		desc := wsdl.DescriptionType(d.Description)
		r.Description = &desc
	}
	if !d.HasDebt {
		return r, nil
	}
	code, guid := wsdl.NsiCodeType(o.DocTypeCode), wsdl.GUIDType(o.DocTypeGUID)
	for _, di := range d.DebtInfo {
		p := di.Person
		info := &wsdl.DebtInfoType{Person: &wsdl.PersonType{
			FirstName: name(p.FirstName), LastName: name(p.LastName), MiddleName: name(p.MiddleName),
		}}
		if p.SNILS != "" {
			s := wsdl.SNILSType(p.SNILS)
			info.Person.Snils = &s
		}
		for _, doc := range di.Documents {
			if doc.AttachmentGUID == "" || doc.Hash == "" {
				return nil, fmt.Errorf("document %s is not uploaded to the file store yet", doc.Name)
			}
			ag := wsdl.GUIDType(doc.AttachmentGUID)
			info.Document = append(info.Document, &wsdl.DebtDocumentType{
				Type_: &wsdl.NsiRef{Code: &code, GUID: &guid},
				Attachment: &wsdl.AttachmentType{
					Name: doc.Name, Description: "Судебный акт", Attachment: &wsdl.AttachmentRefType{AttachmentGUID: &ag}, AttachmentHASH: doc.Hash,
				},
			})
		}
		r.DebtInfo = append(r.DebtInfo, info)
	}
	return r, nil
}

func name(s string) *wsdl.PersonNameType {
	if s == "" {
		return nil
	}
	n := wsdl.PersonNameType(s)
	return &n
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(string(*p))
}

func date(d gsoap.XSDDate) time.Time {
	t := d.ToGoTime()
	if t.Year() <= 1 {
		return time.Time{}
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
