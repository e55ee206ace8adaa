package storecore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// decisionDoc is the stored JSON form of a decision. It has its own tags so that renaming a
// Go field never silently changes what old rows mean.
type decisionDoc struct {
	RuleVersion   string        `json:"rule_version"`
	DecidedAt     time.Time     `json:"decided_at"`
	PremisesIDs   []string      `json:"premises_ids,omitempty"`
	MatchMethod   string        `json:"match_method,omitempty"`
	HasDebt       bool          `json:"has_debt"`
	DebtInfo      []debtInfoDoc `json:"debt_info,omitempty"`
	Evidence      []evidenceDoc `json:"evidence,omitempty"`
	Review        bool          `json:"review"`
	ReviewReasons []string      `json:"review_reasons,omitempty"`
	Description   string        `json:"description,omitempty"`
	Notes         []string      `json:"notes,omitempty"`
	DecidedBy     string        `json:"decided_by,omitempty"`
	Comment       string        `json:"comment,omitempty"`
	Correction    bool          `json:"correction,omitempty"`
}

type debtInfoDoc struct {
	Person    personDoc     `json:"person"`
	Documents []documentDoc `json:"documents,omitempty"`
}

type personDoc struct {
	LastName   string `json:"last_name"`
	FirstName  string `json:"first_name"`
	MiddleName string `json:"middle_name,omitempty"`
	SNILS      string `json:"snils,omitempty"`
	DocType    string `json:"doc_type,omitempty"`
	DocSeries  string `json:"doc_series,omitempty"`
	DocNumber  string `json:"doc_number,omitempty"`
}

type documentDoc struct {
	ActOrg         string `json:"act_org,omitempty"`
	ActID          string `json:"act_id,omitempty"`
	Name           string `json:"name"`
	Path           string `json:"path"`
	Hash           string `json:"hash,omitempty"`
	Size           int64  `json:"size"`
	AttachmentGUID string `json:"attachment_guid,omitempty"`
}

type evidenceDoc struct {
	ActID   string `json:"act_id"`
	Counted bool   `json:"counted"`
	Reason  string `json:"reason"`
}

// EncodeDecision returns the JSON the store keeps for d (the sub-request GUID is a column).
func EncodeDecision(d domain.Decision) ([]byte, error) {
	doc := decisionDoc{
		RuleVersion: d.RuleVersion, DecidedAt: d.DecidedAt, PremisesIDs: d.PremisesIDs,
		MatchMethod: d.MatchMethod, HasDebt: d.HasDebt, Review: d.Review,
		ReviewReasons: d.ReviewReasons, Description: d.Description, Notes: d.Notes,
		DecidedBy: d.DecidedBy, Comment: d.Comment, Correction: d.Correction,
	}
	for _, di := range d.DebtInfo {
		x := debtInfoDoc{Person: personDoc(di.Person)}
		for _, doc := range di.Documents {
			x.Documents = append(x.Documents, documentDoc(doc))
		}
		doc.DebtInfo = append(doc.DebtInfo, x)
	}
	for _, e := range d.Evidence {
		doc.Evidence = append(doc.Evidence, evidenceDoc(e))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode decision for %s: %w", d.SubRequestGUID, err)
	}
	return b, nil
}

// DecodeDecision is the inverse of EncodeDecision.
func DecodeDecision(guid string, b []byte) (domain.Decision, error) {
	var doc decisionDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return domain.Decision{}, fmt.Errorf("decode stored decision for %s: %w", guid, err)
	}
	d := domain.Decision{
		SubRequestGUID: guid, RuleVersion: doc.RuleVersion, DecidedAt: doc.DecidedAt.UTC(),
		PremisesIDs: doc.PremisesIDs, MatchMethod: doc.MatchMethod, HasDebt: doc.HasDebt,
		Review: doc.Review, ReviewReasons: doc.ReviewReasons, Description: doc.Description,
		Notes: doc.Notes, DecidedBy: doc.DecidedBy, Comment: doc.Comment, Correction: doc.Correction,
	}
	for _, di := range doc.DebtInfo {
		x := domain.DebtInfo{Person: domain.Person(di.Person)}
		for _, f := range di.Documents {
			x.Documents = append(x.Documents, domain.Document(f))
		}
		d.DebtInfo = append(d.DebtInfo, x)
	}
	for _, e := range doc.Evidence {
		d.Evidence = append(d.Evidence, domain.Evidence(e))
	}
	return d, nil
}
