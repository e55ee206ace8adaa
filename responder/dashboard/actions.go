package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
)

// Choices of the review form.
const (
	choiceConfirm = "confirm" // подтвердить предложенный ответ
	choiceDebt    = "debt"    // есть задолженность (debtors from the selected acts)
	choiceNoDebt  = "nodebt"  // нет задолженности
)

const maxCommentRunes = 1000

// manualRule is the rule version of a decision made by a person without a proposal.
const manualRule = "manual"

// decide records a person's decision on a review item: the proposal confirmed or changed
// (a change needs a comment), checked by decide.Reviewed and stored by RecordReview, which
// makes the sub-request ready for the daemon to send.
func (d *Dashboard) decide(w http.ResponseWriter, r *http.Request, id identity) {
	ctx := r.Context()
	guid := r.PathValue("guid")
	sr, err := d.store.GetSubRequest(ctx, guid)
	if err != nil {
		d.storeError(w, r, id, "get sub-request", err)
		return
	}
	if sr.State != domain.StateReview {
		d.fail(w, r, id, http.StatusConflict, "Подзапрос уже не на проверке (состояние: "+ru.StateName(sr.State)+"). Решение не записано.")
		return
	}
	proposal, err := d.decision(ctx, guid)
	if err != nil {
		d.storeError(w, r, id, "get decision", err)
		return
	}
	if r.PostForm.Get("proposal") != proposalVersion(proposal) {
		d.fail(w, r, id, http.StatusConflict, "Предложенный ответ изменился, пока открыта страница. Обновите очередь и примите решение заново.")
		return
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	if utf8.RuneCountInString(comment) > maxCommentRunes {
		d.fail(w, r, id, http.StatusUnprocessableEntity, "Комментарий длиннее 1000 символов.")
		return
	}
	base := domain.Decision{SubRequestGUID: guid, RuleVersion: manualRule}
	if proposal != nil {
		base = *proposal
	}
	dec := base
	switch r.PostForm.Get("choice") {
	case choiceConfirm:
		if proposal == nil {
			d.fail(w, r, id, http.StatusUnprocessableEntity, "Предложенного ответа нет: выберите «есть задолженность» или «нет задолженности».")
			return
		}
	case choiceNoDebt:
		dec.HasDebt, dec.DebtInfo = false, nil
	case choiceDebt:
		acts, err := d.acts(ctx, sr, proposal)
		if err != nil {
			d.storeError(w, r, id, "court acts", err)
			return
		}
		selected := r.PostForm["act"]
		var chosen []domain.CourtAct
		for _, a := range acts {
			if slices.Contains(selected, a.Act.ID) {
				chosen = append(chosen, a.Act)
			}
		}
		switch {
		case len(chosen) > 0:
			dec.HasDebt, dec.DebtInfo = true, debtInfo(chosen)
		case base.HasDebt:
			dec.HasDebt = true // no selection: the proposal's debtors
		default:
			d.fail(w, r, id, http.StatusUnprocessableEntity, "Отметьте судебные акты, должники по которым войдут в ответ.")
			return
		}
	default:
		d.fail(w, r, id, http.StatusUnprocessableEntity, "Выберите решение.")
		return
	}
	changed := proposal == nil || dec.HasDebt != base.HasDebt || !sameDebtors(dec.DebtInfo, base.DebtInfo)
	if changed && comment == "" {
		d.fail(w, r, id, http.StatusUnprocessableEntity, "Укажите комментарий: ответ отличается от предложенного.")
		return
	}
	dec, err = decide.Reviewed(dec, id.User, comment, d.now())
	if errors.Is(err, decide.ErrInvalidDecision) {
		d.failDetail(w, r, id, http.StatusUnprocessableEntity, "Такой ответ нельзя отправить в ГИС ЖКХ.", err.Error())
		return
	}
	if err != nil {
		d.storeError(w, r, id, "review", err)
		return
	}
	if err := d.store.RecordReview(ctx, guid, id.User, comment, dec); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			d.fail(w, r, id, http.StatusConflict, "Подзапрос уже не на проверке. Решение не записано.")
			return
		}
		d.storeError(w, r, id, "record review", err)
		return
	}
	d.log.Info("dashboard: review recorded", "subrequest", guid, "has_debt", dec.HasDebt, "changed", changed)
	http.Redirect(w, r, "/review?done="+url.QueryEscape(guid), http.StatusSeeOther)
}

// retry makes a failed sub-request ready again, so the daemon sends its answer anew.
func (d *Dashboard) retry(w http.ResponseWriter, r *http.Request, id identity) {
	guid := r.PathValue("guid")
	err := d.store.SetState(r.Context(), guid, domain.StateFailed, domain.StateReady, id.User, "retry requested in the dashboard")
	switch {
	case errors.Is(err, domain.ErrConflict):
		d.fail(w, r, id, http.StatusConflict, "Подзапрос уже не в состоянии «"+ru.StateName(domain.StateFailed)+"». Повтор не нужен.")
		return
	case err != nil:
		d.storeError(w, r, id, "retry", err)
		return
	}
	d.log.Info("dashboard: retry requested", "subrequest", guid)
	http.Redirect(w, r, "/failed?retried="+url.QueryEscape(guid), http.StatusSeeOther)
}

// debtInfo groups the acts' debtors by domain.Debtor.Key in order of first appearance, each
// with the documents of the acts naming them (as the decision rules do).
func debtInfo(acts []domain.CourtAct) []domain.DebtInfo {
	var out []domain.DebtInfo
	index := map[string]int{}
	for _, a := range acts {
		for _, db := range a.Debtors {
			i, ok := index[db.Key()]
			if !ok {
				i = len(out)
				index[db.Key()] = i
				out = append(out, domain.DebtInfo{Person: domain.Person{
					LastName: db.LastName, FirstName: db.FirstName, MiddleName: db.MiddleName,
					SNILS: db.SNILS, DocType: db.DocType, DocSeries: db.DocSeries, DocNumber: db.DocNumber,
				}})
			}
			if a.Document != nil && !slices.ContainsFunc(out[i].Documents, func(x domain.Document) bool {
				return x.Path == a.Document.Path && x.Name == a.Document.Name
			}) {
				out[i].Documents = append(out[i].Documents, *a.Document)
			}
		}
	}
	return out
}

// sameDebtors reports whether two answers name the same people with the same documents.
func sameDebtors(a, b []domain.DebtInfo) bool {
	key := func(di []domain.DebtInfo) []string {
		var ks []string
		for _, x := range di {
			k := personName(x.Person) + "|" + x.Person.SNILS
			for _, doc := range x.Documents {
				k += "|" + doc.Name
			}
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	return slices.Equal(key(a), key(b))
}
