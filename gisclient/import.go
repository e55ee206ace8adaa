package gisclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gisgw/gisgw/wsdl"
)

// MaxActions is the most actions one importDSRResponsesRequest may carry.
const MaxActions = 100

// Action is one answer operation on a sub-request.
type Action struct {
	// TransportGUID identifies the action within the message and in its result; a fresh one
	// is generated when empty.
	TransportGUID  string
	SubrequestGUID string
	Type           wsdl.DSRResponseActionType // Send or Revoke
	// Response is the answer for Send (hasDebt, executorGUID, and with a debt debtInfo or
	// debtGUID); nil for Revoke.
	Response *wsdl.ImportDSRResponseType
}

// ActionResult is GIS's verdict on one action.
type ActionResult struct {
	TransportGUID  string
	SubrequestGUID string
	OK             bool
	GUID           string    // the answer GIS created or updated (when OK)
	UniqueNumber   string    // when GIS assigned one
	UpdateDate     time.Time // when OK
	ErrorCode      string    // when not OK; several errors are joined by "; "
	Description    string
	Transient      bool // the error code is one a later resend may get past (EXP001000)
}

// ImportRequest checks actions, gives every action without a TransportGUID a fresh one from
// newGUID, and builds the importDSRResponsesRequest. It returns the actions as sent.
func ImportRequest(actions []Action, newGUID func() string) (*wsdl.ImportDSRResponsesRequest, []Action, error) {
	if len(actions) == 0 || len(actions) > MaxActions {
		return nil, nil, fmt.Errorf("import: %d actions given, a message carries 1 to %d", len(actions), MaxActions)
	}
	out := make([]Action, len(actions))
	copy(out, actions)
	transport := map[string]int{}
	subrequest := map[string]int{}
	req := &wsdl.ImportDSRResponsesRequest{BaseType: &wsdl.BaseType{Id: SignedID}, Version: ImportVersion}
	for i := range out {
		a := &out[i]
		if a.TransportGUID == "" {
			a.TransportGUID = newGUID()
		}
		if err := a.validate(); err != nil {
			return nil, nil, fmt.Errorf("import: action %d (subrequest %s): %w", i, a.SubrequestGUID, err)
		}
		if j, dup := transport[strings.ToLower(a.TransportGUID)]; dup {
			return nil, nil, fmt.Errorf("import: actions %d and %d share TransportGUID %s; it must be unique in a message", j, i, a.TransportGUID)
		}
		transport[strings.ToLower(a.TransportGUID)] = i
		if j, dup := subrequest[strings.ToLower(a.SubrequestGUID)]; dup {
			return nil, nil, fmt.Errorf("import: actions %d and %d are both about subrequest %s; the schema allows one action per sub-request in a message", j, i, a.SubrequestGUID)
		}
		subrequest[strings.ToLower(a.SubrequestGUID)] = i
		tg := wsdl.TransportGUID(a.TransportGUID)
		sg := wsdl.GUIDType(a.SubrequestGUID)
		at := a.Type
		req.Action = append(req.Action, &wsdl.ImportDSRResponseActionType{
			TransportGUID: &tg, SubrequestGUID: &sg, ActionType: &at, ResponseData: a.Response,
		})
	}
	return req, out, nil
}

// validate checks the rules of the schema that its types cannot express.
func (a *Action) validate() error {
	if !wsdl.IsGUID(a.TransportGUID) {
		return fmt.Errorf("TransportGUID %q is not a GUID", a.TransportGUID)
	}
	if !wsdl.IsGUID(a.SubrequestGUID) {
		return fmt.Errorf("SubrequestGUID %q is not a GUID", a.SubrequestGUID)
	}
	switch a.Type {
	case wsdl.DSRResponseActionTypeRevoke:
		if a.Response != nil {
			return errors.New("a Revoke carries no response data")
		}
		return nil
	case wsdl.DSRResponseActionTypeSend:
	default:
		return fmt.Errorf("action type %q is not Send or Revoke", a.Type)
	}
	r := a.Response
	if r == nil {
		return errors.New("a Send needs response data (hasDebt and executorGUID)")
	}
	if r.ExecutorGUID == nil || !wsdl.IsGUID(string(*r.ExecutorGUID)) {
		return errors.New("the response needs the executorGUID of the employee answering (ЛК → Администрирование → Сотрудники)")
	}
	if r.Description != nil && utf8.RuneCountInString(string(*r.Description)) > 1000 {
		return errors.New("the description is longer than 1000 characters")
	}
	if !r.HasDebt {
		if len(r.DebtInfo) > 0 || len(r.DebtGUID) > 0 || len(r.AdditionalFile) > 0 {
			return errors.New("an answer without debt (hasDebt=false) carries no debtInfo, debtGUID or additionalFile")
		}
		return nil
	}
	if len(r.DebtInfo) > 0 && len(r.DebtGUID) > 0 {
		return errors.New("give debtInfo or debtGUID, not both")
	}
	if len(r.DebtInfo) == 0 && len(r.DebtGUID) == 0 {
		return errors.New("an answer with debt (hasDebt=true) needs debtInfo (the debtors) or debtGUID (debt registry records)")
	}
	for i, d := range r.DebtInfo {
		if d == nil || d.Person == nil || d.Person.FirstName == nil || d.Person.LastName == nil {
			return fmt.Errorf("debtInfo %d needs the debtor's first and last name", i)
		}
		if s := d.Person.Snils; s != nil && !isSNILS(string(*s)) {
			return fmt.Errorf("debtInfo %d: the SNILS must be 11 digits", i)
		}
	}
	for i, g := range r.DebtGUID {
		if g == nil || !wsdl.IsGUID(string(*g)) {
			return fmt.Errorf("debtGUID %d is not a GUID", i)
		}
	}
	return nil
}

func isSNILS(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SubmitImport sends the actions as one signed importDSRResponsesRequest and returns the
// MessageGUID GIS assigned and the actions as sent (with their TransportGUIDs), for the
// caller to persist before it awaits the result (Await, then ImportResults).
func (c *Client) SubmitImport(ctx context.Context, actions []Action) (string, []Action, error) {
	req, sent, err := ImportRequest(actions, c.newGUID)
	if err != nil {
		return "", nil, err
	}
	guid, err := c.submit(ctx, importOp(), req)
	if err != nil {
		return "", nil, err
	}
	return guid, sent, nil
}

// ImportDSRResponses sends the actions, awaits the result and maps it back to the actions,
// in their order. A result that misses an action is an error (the results found are still
// returned). An action GIS refused is not an error: its ActionResult has OK false.
func (c *Client) ImportDSRResponses(ctx context.Context, actions []Action) ([]ActionResult, error) {
	req, sent, err := ImportRequest(actions, c.newGUID)
	if err != nil {
		return nil, err
	}
	res, err := c.call(ctx, importOp(), req)
	if err != nil {
		return nil, err
	}
	return ImportResults(res, sent)
}

// ImportResults maps a processed getStateResult of an importDSRResponsesRequest to the
// actions sent (by TransportGUID), in their order.
func ImportResults(res *wsdl.GetStateResult, actions []Action) ([]ActionResult, error) {
	if res == nil {
		return nil, errors.New("import result: no getStateResult")
	}
	if res.RequestState != nil && *res.RequestState != wsdl.AsyncRequestStateType3 {
		return nil, fmt.Errorf("import result: the message is not processed yet (RequestState %s)", *res.RequestState)
	}
	if em := res.ErrorMessage; em != nil {
		code := strings.TrimSpace(em.ErrorCode)
		return nil, &Error{Op: "importDSRResponsesRequest", Code: code, Message: strings.TrimSpace(em.Description), Transient: transientCode(code)}
	}
	byTransport := make(map[string]*wsdl.CommonResultType, len(res.ImportResult))
	var unknown []string
	index := make(map[string]bool, len(actions))
	for _, a := range actions {
		index[strings.ToLower(a.TransportGUID)] = true
	}
	for _, r := range res.ImportResult {
		if r == nil || r.TransportGUID == nil {
			return nil, errors.New("import result: an importResult has no TransportGUID")
		}
		k := strings.ToLower(strings.TrimSpace(string(*r.TransportGUID)))
		if !index[k] {
			unknown = append(unknown, truncate(k, 40))
			continue
		}
		if _, dup := byTransport[k]; dup {
			return nil, fmt.Errorf("import result: two importResults for TransportGUID %s", k)
		}
		byTransport[k] = r
	}
	out := make([]ActionResult, len(actions))
	var missing []string
	for i, a := range actions {
		ar := ActionResult{TransportGUID: a.TransportGUID, SubrequestGUID: a.SubrequestGUID}
		r, ok := byTransport[strings.ToLower(a.TransportGUID)]
		if !ok {
			missing = append(missing, a.TransportGUID)
			ar.Description = "GIS returned no result for this action"
			out[i] = ar
			continue
		}
		if r.GUID != nil {
			ar.GUID = string(*r.GUID)
		}
		ar.UniqueNumber = r.UniqueNumber
		if len(r.Error) == 0 {
			ar.OK = true
			if r.UpdateDate != nil {
				ar.UpdateDate = r.UpdateDate.ToGoTime()
			}
		} else {
			var codes, texts []string
			for _, e := range r.Error {
				if e == nil {
					continue
				}
				code := strings.TrimSpace(e.ErrorCode)
				codes = append(codes, code)
				texts = append(texts, strings.TrimSpace(e.Description))
				ar.Transient = ar.Transient || transientCode(code)
			}
			ar.ErrorCode, ar.Description = strings.Join(codes, "; "), strings.Join(texts, "; ")
		}
		out[i] = ar
	}
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("import result: GIS returned no result for %d of %d actions (TransportGUID %s)", len(missing), len(actions), strings.Join(missing, ", ")))
	}
	if len(unknown) > 0 {
		errs = append(errs, fmt.Errorf("import result: %d results for actions not in this message (TransportGUID %s)", len(unknown), strings.Join(unknown, ", ")))
	}
	return out, errors.Join(errs...)
}
