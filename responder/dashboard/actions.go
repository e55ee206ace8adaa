package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
)

// Choices of the review form.
const (
	choiceConfirm = "confirm" // подтвердить предложенный ответ
	choiceDebt    = "debt"    // есть задолженность (debtors from the selected acts)
	choiceNoDebt  = "nodebt"  // нет задолженности
	choiceKeep    = "keep"    // отправленный ответ верен (исправление не нужно)
)

// decide records a person's decision on a review item: the form is read into a
// decide.Choice, decide.Review makes the decision (a change needs a comment) and
// RecordReview stores it, which makes the sub-request ready for the daemon to send.
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
	var choice decide.Choice
	switch r.PostForm.Get("choice") {
	case choiceConfirm:
		choice.Answer = decide.Confirm
	case choiceNoDebt:
		choice.Answer = decide.NoDebt
	case choiceDebt:
		choice.Answer, choice.Acts = decide.Debt, r.PostForm["act"]
	case choiceKeep:
		choice.Answer = decide.KeepSent
	default:
		d.fail(w, r, id, http.StatusUnprocessableEntity, "Выберите решение.")
		return
	}
	rows, err := d.acts(ctx, sr, proposal)
	if err != nil {
		d.storeError(w, r, id, "court acts", err)
		return
	}
	acts := make([]domain.CourtAct, 0, len(rows))
	for _, a := range rows {
		acts = append(acts, a.Act)
	}
	if proposal != nil && proposal.Correction {
		if choice.Sent, err = d.sentAnswer(ctx, guid); err != nil {
			d.storeError(w, r, id, "sent answer", err)
			return
		}
	}
	comment := r.PostForm.Get("comment")
	dec, err := decide.Review(sr, proposal, acts, choice, id.User, comment, d.now())
	if err != nil {
		if msg, ok := reviewRefusals(err, len(acts) > 0); ok {
			d.fail(w, r, id, http.StatusUnprocessableEntity, msg)
			return
		}
		if errors.Is(err, decide.ErrInvalidDecision) {
			d.log.Warn("dashboard: review refused", "subrequest", guid, "err", err)
			d.failDetail(w, r, id, http.StatusUnprocessableEntity, "Такой ответ нельзя отправить в ГИС ЖКХ.", decide.Explain(err))
			return
		}
		d.storeError(w, r, id, "review", err)
		return
	}
	if err := d.store.RecordReview(ctx, guid, id.User, dec.Comment, dec); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			d.fail(w, r, id, http.StatusConflict, "Подзапрос уже не на проверке. Решение не записано.")
			return
		}
		d.storeError(w, r, id, "record review", err)
		return
	}
	d.log.Info("dashboard: review recorded", "subrequest", guid, "has_debt", dec.HasDebt, "choice", r.PostForm.Get("choice"))
	http.Redirect(w, r, "/review?done="+url.QueryEscape(guid), http.StatusSeeOther)
}

// reviewRefusals returns the person's explanation of a choice decide.Review refused; hasActs
// tells whether there are court acts at the premises to tick at all.
func reviewRefusals(err error, hasActs bool) (string, bool) {
	noProposal := "Предложенного ответа нет: выберите «есть задолженность» или «нет задолженности» и отметьте судебные акты."
	noDebtors := "Отметьте судебные акты, должники по которым войдут в ответ."
	if !hasActs {
		noProposal = "Предложенного ответа нет, а судебных актов по помещению подзапроса нет: ответ «есть задолженность» дать не на основании чего. Выберите «нет задолженности» или сначала загрузите судебные акты."
		noDebtors = "По помещению подзапроса нет судебных актов, поэтому ответ «есть задолженность» дать нельзя. Выберите «нет задолженности» или сначала загрузите судебные акты."
	}
	for _, r := range []struct {
		err error
		msg string
	}{
		{decide.ErrCommentRequired, "Укажите комментарий: ответ отличается от предложенного."},
		{decide.ErrCommentTooLong, "Комментарий длиннее 1000 символов."},
		{decide.ErrNoProposal, noProposal},
		{decide.ErrNoDebtors, noDebtors},
		{decide.ErrNotCorrection, "Отправленного ответа, который можно оставить, нет: выберите другой ответ."},
		{decide.ErrBadReviewer, msgBadReviewer},
		{decide.ErrUnknownAct, "Отмеченный судебный акт не относится к помещению подзапроса. Обновите очередь и примите решение заново."},
	} {
		if errors.Is(err, r.err) {
			return r.msg, true
		}
	}
	return "", false
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

// bulkConfirm confirms several "no debt" proposals in one action with one comment: each
// through decide.Review and RecordReview, as if confirmed one by one, so that each is
// audited under the person's name. Items that cannot be confirmed (decided meanwhile, a
// changed proposal, a proposal of "debt") are named on the error page; the others are
// recorded.
func (d *Dashboard) bulkConfirm(w http.ResponseWriter, r *http.Request, id identity) {
	ctx := r.Context()
	guids := slices.Compact(slices.Sorted(slices.Values(r.PostForm["guid"])))
	if len(guids) == 0 {
		d.fail(w, r, id, http.StatusUnprocessableEntity, "Отметьте подзапросы, для которых подтверждается ответ «нет задолженности».")
		return
	}
	comment := r.PostForm.Get("comment")
	var refused []string
	confirmed := 0
	for _, guid := range guids {
		title, problem, err := d.confirmNoDebt(ctx, guid, r.PostForm.Get("proposal-"+guid), id.User, comment)
		if err != nil {
			d.storeError(w, r, id, "bulk confirmation", err)
			return
		}
		if problem != "" {
			refused = append(refused, title+": "+problem)
			continue
		}
		confirmed++
	}
	d.log.Info("dashboard: bulk confirmation", "confirmed", confirmed, "refused", len(refused))
	if len(refused) > 0 {
		msg := fmt.Sprintf("Подтверждено: %d. Не подтверждено: %d — эти подзапросы остались в очереди проверки.", confirmed, len(refused))
		d.render(w, r, http.StatusConflict, "error", id, errorView{Status: http.StatusConflict, Message: msg, Items: refused, Back: "/review"})
		return
	}
	http.Redirect(w, r, "/review?confirmed="+strconv.Itoa(confirmed), http.StatusSeeOther)
}

// confirmNoDebt records one item of a bulk confirmation. It returns the sub-request's name
// for the person and, when it was not confirmed, why (in Russian); err is a store failure.
func (d *Dashboard) confirmNoDebt(ctx context.Context, guid, version, who, comment string) (title, problem string, err error) {
	sr, err := d.store.GetSubRequest(ctx, guid)
	if isNotFound(err) {
		return guid, "подзапрос не найден", nil
	}
	if err != nil {
		return "", "", err
	}
	title = srTitle(sr)
	if sr.State != domain.StateReview {
		return title, "уже не на проверке (состояние: " + ru.StateName(sr.State) + ")", nil
	}
	proposal, err := d.decision(ctx, guid)
	if err != nil {
		return "", "", err
	}
	switch {
	case version != proposalVersion(proposal):
		return title, "предложенный ответ изменился, пока была открыта страница", nil
	case proposal == nil:
		return title, "предложенного ответа нет", nil
	case proposal.HasDebt:
		return title, "предложен ответ «есть задолженность»: его проверяют по одному", nil
	case proposal.Correction:
		// Confirmed without the sent answer beside it, decide.Review would take GIS's
		// automatic "no debt" for the answer held and quietly keep the sent one.
		return title, "это исправление отправленного ответа: его проверяют по одному, сравнив с отправленным", nil
	}
	dec, err := decide.Review(sr, proposal, nil, decide.Choice{Answer: decide.Confirm}, who, comment, d.now())
	if err != nil {
		if msg, ok := reviewRefusals(err, false); ok {
			return title, msg, nil
		}
		return title, cmp.Or(decide.Explain(err), "такой ответ нельзя отправить в ГИС ЖКХ"), nil
	}
	if err := d.store.RecordReview(ctx, guid, who, dec.Comment, dec); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return title, "уже не на проверке", nil
		}
		return "", "", err
	}
	return title, "", nil
}
