package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestReviewReusesUploadedFile: an answer decided in the dashboard names the court act of
// each file, so the daemon's file step (app's files.Upload: a document with an act id is
// looked up with DocumentAttachment before any upload) finds the act's recorded upload
// instead of sending the file again. The proposal of srDue2 was stored before documents
// named their acts.
func TestReviewReusesUploadedFile(t *testing.T) {
	t.Parallel()
	const (
		hash       = "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0"
		attachment = "c0ffee00-0000-4000-8000-000000000011"
	)
	tests := []struct {
		name string
		guid string
		act  string // whose file the answer attaches
		form url.Values
	}{
		{"confirmed proposal", srDue2, "A1", url.Values{"choice": {"confirm"}}},
		{"debt from a chosen act", srDue1, "A2", url.Values{"choice": {"debt"}, "act": {"A2"}, "comment": {"долг в периоде"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := t.Context()
			must(t, "record the upload", f.st.SetDocumentAttachment(ctx, org, tt.act, hash, attachment))
			c := f.login(t, "Петрова А. А.")
			before, err := f.st.GetDecision(ctx, tt.guid)
			must(t, "get decision", err)
			form := url.Values{"csrf": {f.csrf(t, c, "/review", noAuth)}, "proposal": {proposalVersion(&before)}}
			for k, v := range tt.form {
				form[k] = v
			}
			if code, body, _ := f.do(t, c, http.MethodPost, "/review/"+tt.guid, form, noAuth, map[string]string{"Origin": f.srv.URL}); code != http.StatusSeeOther {
				t.Fatalf("POST /review = %d:\n%s", code, body)
			}

			// What the daemon claims to send, and the file step's look-up for each document.
			claimed, err := f.st.ClaimReady(ctx, org, "test", 10, time.Minute)
			must(t, "claim ready", err)
			var sent *domain.Decision
			for i := range claimed {
				if claimed[i].SubRequestGUID == tt.guid {
					sent = &claimed[i]
				}
			}
			if sent == nil || !sent.HasDebt || len(sent.DebtInfo) != 1 || len(sent.DebtInfo[0].Documents) != 1 {
				t.Fatalf("claimed answer of %s = %+v; want one debtor with one document", tt.guid, sent)
			}
			doc := sent.DebtInfo[0].Documents[0]
			if doc.ActOrg != org || doc.ActID != tt.act {
				t.Fatalf("document %s names act %q of %q; want %s of %s (else its upload is not looked up)", doc.Name, doc.ActID, doc.ActOrg, tt.act, org)
			}
			gotHash, gotGUID, err := f.st.DocumentAttachment(ctx, doc.ActOrg, doc.ActID)
			must(t, "document attachment", err)
			if gotHash != hash || gotGUID != attachment {
				t.Errorf("recorded upload of the document = %q, %q; want %s, %s", gotHash, gotGUID, hash, attachment)
			}
		})
	}
}

// TestReviewRefusals: a choice decide.Review refuses is explained in Russian and changes
// nothing.
func TestReviewRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		guid string
		form url.Values
		want string
	}{
		{"change without comment", srDue2, url.Values{"choice": {"nodebt"}}, "Укажите комментарий: ответ отличается от предложенного."},
		{"change to debt without comment", srDue1, url.Values{"choice": {"debt"}, "act": {"A2"}}, "Укажите комментарий"},
		{"debt without acts", srDue1, url.Values{"choice": {"debt"}, "comment": {"?"}}, "Отметьте судебные акты"},
		{"act of other premises", srDue1, url.Values{"choice": {"debt"}, "act": {"A1"}, "comment": {"?"}}, "не относится к помещению подзапроса"},
		{"comment too long", srDue2, url.Values{"choice": {"confirm"}, "comment": {strings.Repeat("я", 1001)}}, "Комментарий длиннее 1000 символов."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			c := f.login(t, "Петрова А. А.")
			before, err := f.st.GetDecision(t.Context(), tt.guid)
			must(t, "get decision", err)
			form := url.Values{"csrf": {f.csrf(t, c, "/review", noAuth)}, "proposal": {proposalVersion(&before)}}
			for k, v := range tt.form {
				form[k] = v
			}
			code, body, _ := f.do(t, c, http.MethodPost, "/review/"+tt.guid, form, noAuth, map[string]string{"Origin": f.srv.URL})
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
				t.Errorf("POST /review = %d; want %d with %q:\n%s", code, http.StatusUnprocessableEntity, tt.want, body)
			}
			if got := state(t, f.st, tt.guid); got != domain.StateReview {
				t.Errorf("state = %s; want review", got)
			}
		})
	}
}
