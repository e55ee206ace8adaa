package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// The review commands are the compliance officer's tools: what they print to stdout is in
// Russian and may name debtors (never their SNILS or document numbers); nothing of it is
// logged.

func reviewListCommand() command {
	return command{"the review queue by deadline, with the reasons ([--org GUID])", runReviewList}
}

func reviewShowCommand() command {
	return command{"a sub-request with its proposal, evidence and audit trail (GUID)", runReviewShow}
}

func reviewDecideCommand() command {
	return command{"record a person's decision on a sub-request in review (GUID --as debt|no-debt|proposed|sent --by LOGIN)", runReviewDecide}
}

func runReviewList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "review list", "Usage: gisgw review list [--db DSN | --config FILE] [--org GUID]\n\n"+
		"Lists the sub-requests waiting for a person, earliest deadline first, with why.")
	sf := addStoreFlags(fs.FlagSet)
	org := fs.String("org", "", "orgPPAGUID (default: every organization)")
	today := fs.String("today", "", "count working days from this `DATE` (default: today in Moscow)")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	day, err := todayFlag(*today)
	if err != nil {
		return err
	}
	st, cal, err := sf.open(ctx, storeopen.WithMustExist())
	if err != nil {
		return err
	}
	defer st.Close()
	items, err := st.ListReview(ctx, *org)
	if err != nil {
		return fmt.Errorf("list the review queue: %w", err)
	}
	if len(items) == 0 {
		_, err := fmt.Fprintln(env.stdout, "Очередь проверки пуста.")
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "На проверке: %d\n\n", len(items))
	fmt.Fprintln(tw, "Срок\tОсталось\tПодзапрос\tАдрес\tПредложение\tПричины")
	for _, it := range items {
		sr := it.SubRequest
		reasons, proposal := ru.NoProposal, "—"
		if it.Decision != nil {
			reasons = strings.Join(it.Decision.ReviewReasons, "; ")
			proposal = answerText(*it.Decision)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", dayText(sr.ResponseDate), daysLeftText(cal, day, sr.ResponseDate),
			sr.GUID, sr.Address, proposal, reasons)
	}
	return tw.Flush()
}

func runReviewShow(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "review show", "Usage: gisgw review show GUID [--db DSN | --config FILE]\n\n"+
		"Prints a sub-request, the premises it matched, the proposed decision with the evidence\n"+
		"(why each court act counted or not), notes and the audit trail.")
	sf := addStoreFlags(fs.FlagSet)
	today := fs.String("today", "", "count working days from this `DATE` (default: today in Moscow)")
	guid, err := fs.parse(args, "sub-request GUID")
	if err != nil {
		return err
	}
	day, err := todayFlag(*today)
	if err != nil {
		return err
	}
	st, cal, err := sf.open(ctx, storeopen.WithMustExist())
	if err != nil {
		return err
	}
	defer st.Close()
	sr, err := getSubRequest(ctx, st, guid)
	if err != nil {
		return err
	}
	d, err := st.GetDecision(ctx, guid)
	var dp *domain.Decision
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return fmt.Errorf("decision of sub-request %s: %w", guid, err)
	default:
		dp = &d
	}
	var acts []domain.CourtAct
	if dp != nil && len(dp.PremisesIDs) > 0 {
		// Read for the agreements on the acts, which the evidence names only briefly.
		if acts, err = st.CourtActsByPremises(ctx, dp.PremisesIDs); err != nil {
			return fmt.Errorf("court acts of sub-request %s: %w", guid, err)
		}
	}
	audit, err := st.Audit(ctx, guid)
	if err != nil {
		return fmt.Errorf("audit trail of sub-request %s: %w", guid, err)
	}
	return printSubRequest(env.stdout, sr, sf.orgNames()[sr.OrgGUID], dp, acts, audit, cal, day)
}

// agreementLines describes the repayment agreements and instalments on the acts of sr's
// organization (or of none), one line each.
func agreementLines(sr domain.SubRequest, acts []domain.CourtAct) []string {
	var out []string
	for _, a := range acts {
		if a.OrgGUID != "" && sr.OrgGUID != "" && a.OrgGUID != sr.OrgGUID {
			continue
		}
		for _, g := range a.Agreements {
			line := fmt.Sprintf("акт %s: %s № %s от %s (%s", a.ID, decide.AgreementKindName(g.Kind), g.Number,
				dayText(g.Date), decide.AgreementStatusName(g.Kind, g.Status))
			if !g.ScheduleEnd.IsZero() {
				line += ", график платежей до " + dayText(g.ScheduleEnd)
			}
			out = append(out, line+"), оплачено "+ru.Money(g.Paid)+" из "+ru.Money(g.Amount))
		}
	}
	return out
}

func printSubRequest(w io.Writer, sr domain.SubRequest, orgName string, d *domain.Decision, acts []domain.CourtAct, audit []domain.AuditEntry, cal *calendar.Calendar, today time.Time) error {
	var b strings.Builder
	line := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			fmt.Fprintf(&b, "  %-22s %s\n", label+":", value)
		}
	}
	fmt.Fprintf(&b, "Подзапрос %s\n", sr.GUID)
	line("Состояние", ru.StateName(sr.State))
	line("Организация", strings.TrimSpace(orgName+" "+paren(sr.OrgGUID)))
	line("Запрос", strings.TrimSpace(sr.RequestNumber+" "+paren(sr.RequestGUID)))
	line("Запрашивающий орган", strings.TrimSpace(sr.RequesterName+" "+paren(sr.RequesterGUID)))
	line("Адрес", sr.Address)
	line("Помещение", strings.TrimSpace(sr.AddressDetails+" "+paren(ru.AddressType(sr.AddressType))))
	line("Код помещения в ГИС", sr.HMObjectGUID)
	line("Дом (ГИС / ФИАС)", strings.Trim(sr.HouseGUID+" / "+sr.FIASHouseGUID, " /"))
	if !sr.PeriodFrom.IsZero() || !sr.PeriodTo.IsZero() {
		line("Период", dayText(sr.PeriodFrom)+" – "+dayText(sr.PeriodTo))
	}
	line("Дата направления", dayText(sr.SentDate))
	if !sr.ResponseDate.IsZero() {
		line("Срок ответа", fmt.Sprintf("%s (осталось рабочих дней: %s)", dayText(sr.ResponseDate), daysLeftText(cal, today, sr.ResponseDate)))
	}
	line("Статус в ГИС", ru.ResponseStatus(sr.ResponseStatus))
	if sr.ErrorCode != "" || sr.ErrorText != "" {
		line("Ошибка ГИС", strings.Trim(sr.ErrorCode+": "+sr.ErrorText, ": "))
	}

	if d == nil {
		b.WriteString("\nРешение не предложено (помещение не найдено или решение ещё не принято).\n")
	} else {
		fmt.Fprintf(&b, "\nСопоставление: %s; помещения: %s\n", ru.MatchMethod(d.MatchMethod), cmpDash(strings.Join(d.PremisesIDs, ", ")))
		title := "Предложенное решение"
		if d.DecidedBy != "" {
			title = "Решение"
		}
		fmt.Fprintf(&b, "\n%s: %s (%s, %s)\n", title, answerText(*d), ru.RuleVersion(d.RuleVersion), stampText(d.DecidedAt))
		for i, di := range d.DebtInfo {
			p := di.Person
			name := strings.Join(strings.Fields(p.LastName+" "+p.FirstName+" "+p.MiddleName), " ")
			var docs []string
			for _, doc := range di.Documents {
				docs = append(docs, doc.Name)
			}
			fmt.Fprintf(&b, "  должник %d: %s; СНИЛС %s; документ личности %s; файлы актов: %s\n", i+1, name,
				given(p.SNILS), given(p.DocNumber), cmpDash(strings.Join(docs, ", ")))
		}
		if d.Description != "" {
			fmt.Fprintf(&b, "  описание для ГИС: %s\n", d.Description)
		}
		if len(d.Evidence) > 0 {
			b.WriteString("  основания:\n")
			for _, e := range d.Evidence {
				mark := "не учтён"
				if e.Counted {
					mark = "учтён"
				}
				// The rules' evidence starts with its verdict already; it is not said twice.
				reason := e.Reason
				if !strings.HasPrefix(reason, "учтён") && !strings.HasPrefix(reason, "не учтён") {
					reason = mark + ": " + reason
				}
				fmt.Fprintf(&b, "    акт %s — %s\n", e.ActID, reason)
			}
		}
		if lines := agreementLines(sr, acts); len(lines) > 0 {
			b.WriteString("  соглашения о погашении и рассрочки (долг остаётся непогашенным):\n")
			for _, l := range lines {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
		if len(d.ReviewReasons) > 0 {
			b.WriteString("  причины проверки:\n")
			for _, r := range d.ReviewReasons {
				fmt.Fprintf(&b, "    %s\n", ru.Reason(r))
			}
		}
		if len(d.Notes) > 0 {
			b.WriteString("  заметки:\n")
			for _, n := range d.Notes {
				fmt.Fprintf(&b, "    %s\n", n)
			}
		}
		if d.DecidedBy != "" {
			fmt.Fprintf(&b, "  решил: %s", d.DecidedBy)
			if d.Comment != "" {
				fmt.Fprintf(&b, "; комментарий: %s", d.Comment)
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\nИстория:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, e := range audit {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", stampText(e.At), ru.AuditActor(e.Actor), ru.AuditAction(e.Action), ru.AuditDetail(e.Action, e.Detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func runReviewDecide(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "review decide", "Usage: gisgw review decide GUID --as debt|no-debt|proposed|sent --by LOGIN [--comment TEXT] [--description TEXT] [--db DSN | --config FILE]\n\n"+
		"Records a person's decision on a sub-request in review; it becomes ready and the daemon\n"+
		"sends it on its next run. --as debt keeps the debtors the rules found; --as no-debt answers\n"+
		"\"no debt\" with no debtors. For a correction of a sent answer, an answer other than the\n"+
		"sent one makes the daemon revoke the sent answer and then send it; --as sent keeps the\n"+
		"sent answer and nothing is sent.")
	sf := addStoreFlags(fs.FlagSet)
	as := fs.String("as", "", "the answer: debt (the proposal's debtors), no-debt, proposed (the proposal as it is), or sent (a correction: keep the sent answer)")
	by := fs.String("by", "", "the `LOGIN` of the person deciding (stored with the decision and in the audit trail)")
	comment := fs.String("comment", "", "why, for the audit trail (required when the answer differs from the proposal)")
	description := fs.String("description", "", "text for GIS with the answer (at most 1000 characters; default: the proposal's)")
	guid, err := fs.parse(args, "sub-request GUID")
	if err != nil {
		return err
	}
	var choice decide.Choice
	switch *as {
	case "proposed":
		choice.Answer = decide.Confirm
	case "debt":
		choice.Answer = decide.Debt // no acts chosen: the proposal's debtors
	case "no-debt":
		choice.Answer = decide.NoDebt
	case "sent":
		choice.Answer = decide.KeepSent
	case "":
		return errors.New("--as is required: debt, no-debt, proposed or sent")
	default:
		return fmt.Errorf("--as %q: want debt, no-debt, proposed or sent", *as)
	}
	if strings.TrimSpace(*by) == "" {
		return errors.New("--by LOGIN is required: who decides is recorded with the answer")
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "description" {
			choice.Description = description
		}
	})

	// The store stamps the review with its clock: the command's.
	st, _, err := sf.open(ctx, storeopen.WithClock(env.now), storeopen.WithMustExist())
	if err != nil {
		return err
	}
	defer st.Close()
	sr, err := getSubRequest(ctx, st, guid)
	if err != nil {
		return err
	}
	if sr.State != domain.StateReview {
		return fmt.Errorf("sub-request %s is %s («%s»), not in review: only sub-requests waiting for a person can be decided",
			guid, sr.State, ru.StateName(sr.State))
	}
	var proposal *domain.Decision
	var acts []domain.CourtAct
	switch d, err := st.GetDecision(ctx, guid); {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return fmt.Errorf("decision of sub-request %s: %w", guid, err)
	default:
		proposal = &d
		if len(d.PremisesIDs) > 0 {
			if acts, err = st.CourtActsByPremises(ctx, d.PremisesIDs); err != nil {
				return fmt.Errorf("court acts of sub-request %s: %w", guid, err)
			}
		}
	}
	if proposal != nil && proposal.Correction {
		switch d, err := st.SentDecision(ctx, guid); {
		case errors.Is(err, domain.ErrNotFound): // GIS's automatic answer
		case err != nil:
			return fmt.Errorf("sent answer of sub-request %s: %w", guid, err)
		default:
			choice.Sent = &d
		}
	}
	reviewed, err := decide.Review(sr, proposal, acts, choice, *by, *comment, env.now())
	switch {
	case errors.Is(err, decide.ErrNoProposal):
		return fmt.Errorf("%w: answer --as no-debt, or import the premises and court acts and let the rules decide", err)
	case errors.Is(err, decide.ErrNoDebtors):
		return fmt.Errorf("%w: answer --as no-debt, or import the court act with its debtors and document", err)
	case errors.Is(err, decide.ErrCommentRequired):
		return fmt.Errorf("%w: give it with --comment TEXT", err)
	case errors.Is(err, decide.ErrBadReviewer):
		return fmt.Errorf("--by: %w", err)
	case errors.Is(err, decide.ErrNotCorrection):
		return fmt.Errorf("%w: --as sent is only for a correction of a sent answer; answer --as debt, no-debt or proposed", err)
	case err != nil:
		return err
	}
	if err := st.RecordReview(ctx, guid, *by, reviewed.Comment, reviewed); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("sub-request %s changed meanwhile (run 'gisgw review show %s'): %w", guid, guid, err)
		}
		return err
	}
	switch {
	case proposal != nil && proposal.Correction && reviewed.Correction:
		_, err = fmt.Fprintf(env.stdout, "sub-request %s: %s, recorded by %s; the daemon revokes the sent answer and then sends this one\n",
			guid, answerText(reviewed), *by)
	case proposal != nil && proposal.Correction:
		_, err = fmt.Fprintf(env.stdout, "sub-request %s: the sent answer (%s) is kept, recorded by %s; nothing is sent\n",
			guid, answerText(reviewed), *by)
	default:
		_, err = fmt.Fprintf(env.stdout, "sub-request %s: %s, recorded by %s; it is ready («%s») and the daemon sends it on its next run\n",
			guid, answerText(reviewed), *by, ru.StateName(domain.StateReady))
	}
	return err
}

// getSubRequest reads a sub-request with an error a user can act on.
func getSubRequest(ctx context.Context, st store.Store, guid string) (domain.SubRequest, error) {
	sr, err := st.GetSubRequest(ctx, guid)
	if errors.Is(err, domain.ErrNotFound) {
		return sr, fmt.Errorf("sub-request %s is not in the store (see 'gisgw review list' or 'gisgw report deadlines'): %w", guid, err)
	}
	if err != nil {
		return sr, fmt.Errorf("read sub-request %s: %w", guid, err)
	}
	return sr, nil
}

// todayFlag reads --today; empty is today in Moscow.
func todayFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Now().In(calendar.Moscow()), nil
	}
	t, err := parseCLIDate(s)
	if err != nil {
		return t, fmt.Errorf("--today: %w", err)
	}
	return t, nil
}

func answerText(d domain.Decision) string {
	return ru.Answer(d.HasDebt, len(d.DebtInfo))
}

func daysLeftText(cal *calendar.Calendar, today, deadline time.Time) string {
	if deadline.IsZero() {
		return "—"
	}
	n, past := cal.WorkingDaysLeft(today, deadline)
	if past {
		return fmt.Sprintf("%d (просрочен)", n)
	}
	return fmt.Sprint(n)
}

func dayText(t time.Time) string { return cmp.Or(ru.Date(t), "—") }

func stampText(t time.Time) string { return cmp.Or(ru.Stamp(t), "—") }

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func cmpDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func given(s string) string {
	if s == "" {
		return "не указан"
	}
	return "указан"
}
