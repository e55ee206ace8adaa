package dashboard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

// chartDays is how many days the chart shows, today included.
const chartDays = 30

// Geometry of the per-day bar chart (SVG user units).
const (
	chartW, chartH       = 720, 200
	plotLeft, plotBottom = 36, 28
	plotTop              = 16
)

// chart is the overview's inline SVG: sub-requests per day by sent date, and the on-time
// share of those closed.
type chart struct {
	From, To     time.Time
	W, H         int
	Bars         []bar
	Ticks        []tick
	BaseY, PlotW int
	Max, Sum     int

	Closed, OnTime, Unknown int
	Percent                 int // on-time share, whole percent; meaningful when Closed > 0
	ShareW                  int // width of the on-time part of the share bar (of 300)
}

type bar struct {
	X, Y, W, H int
	Count      int
	Day        time.Time
	Label      string // shown under every fifth bar
	LabelX     int
}

type tick struct {
	Y     int
	Label string
}

// chart counts sub-requests per sent date over the last chartDays days and, among those
// answered or auto-answered, how many GIS accepted by their deadline (from the audit trail:
// the time of the change to answered).
func (d *Dashboard) chart(ctx context.Context, all []domain.SubRequest, today time.Time) (chart, error) {
	c := chart{W: chartW, H: chartH, BaseY: chartH - plotBottom, PlotW: chartW - plotLeft}
	c.From, c.To = today.AddDate(0, 0, -(chartDays-1)), today
	counts := make([]int, chartDays)
	for _, sr := range all {
		day := calendar.DateOf(sr.SentDate)
		if day.Before(c.From) || day.After(c.To) {
			continue
		}
		i := int(day.Sub(c.From).Hours() / 24)
		counts[i]++
		c.Sum++
		if counts[i] > c.Max {
			c.Max = counts[i]
		}
		switch sr.State {
		case domain.StateAutoAnswered:
			c.Closed++
		case domain.StateAnswered:
			at, ok, err := d.answeredAt(ctx, sr.GUID)
			if err != nil {
				return chart{}, err
			}
			if !ok {
				c.Unknown++
				continue
			}
			c.Closed++
			if sr.ResponseDate.IsZero() || !calendar.Today(at).After(calendar.DateOf(sr.ResponseDate)) {
				c.OnTime++
			}
		}
	}
	if c.Closed > 0 {
		c.Percent = (c.OnTime*100 + c.Closed/2) / c.Closed
		c.ShareW = c.OnTime * 300 / c.Closed
	}
	scale := max(c.Max, 1)
	plotH := c.BaseY - plotTop
	step := c.PlotW / chartDays
	for i, n := range counts {
		h := n * plotH / scale
		b := bar{X: plotLeft + i*step + 2, W: step - 4, H: h, Y: c.BaseY - h, Count: n, Day: c.From.AddDate(0, 0, i)}
		if i%5 == 0 || i == chartDays-1 {
			b.Label = b.Day.Format("02.01")
			b.LabelX = b.X + b.W/2
		}
		c.Bars = append(c.Bars, b)
	}
	ticks := []int{0}
	if scale >= 4 {
		ticks = append(ticks, scale/2)
	}
	for _, v := range append(ticks, scale) {
		c.Ticks = append(c.Ticks, tick{Y: c.BaseY - v*plotH/scale, Label: fmt.Sprint(v)})
	}
	return c, nil
}

// answeredAt is when the sub-request last became answered, from its audit trail.
func (d *Dashboard) answeredAt(ctx context.Context, guid string) (time.Time, bool, error) {
	entries, err := d.store.Audit(ctx, guid)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("audit of %s: %w", guid, err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if strings.Contains(entries[i].Detail, "→"+string(domain.StateAnswered)) {
			return entries[i].At, true, nil
		}
	}
	return time.Time{}, false, nil
}

// monthChart is a bar chart of one value per month: the inventory's 12-month trend.
type monthChart struct {
	ID, Label   string
	W, H        int
	Left, BaseY int
	Bars        []monthBar
	Ticks       []tick
}

type monthBar struct {
	X, Y, W, H int
	Title      string // the month and its value, shown on hover
	Label      string // the month under the bar
	LabelX     int
}

// newMonthChart draws values (one per month of months) as bars; text writes a value for the
// axis and the bar's title.
func newMonthChart(id, label string, months []time.Time, values []int64, monthLabel func(time.Time) string, text func(int64) string) monthChart {
	const left = 96 // room for an amount in roubles on the axis
	c := monthChart{ID: id, Label: label, W: chartW, H: chartH, Left: left, BaseY: chartH - plotBottom}
	var top int64 = 1
	for _, v := range values {
		top = max(top, v)
	}
	plotH := int64(c.BaseY - plotTop)
	step := (chartW - left) / max(len(values), 1)
	for i, v := range values {
		h := int(v * plotH / top)
		b := monthBar{X: left + i*step + 3, W: step - 6, H: h, Y: c.BaseY - h,
			Title: monthLabel(months[i]) + ": " + text(v), Label: months[i].Format("01.06")}
		b.LabelX = b.X + b.W/2
		c.Bars = append(c.Bars, b)
	}
	for _, v := range []int64{0, top / 2, top} {
		c.Ticks = append(c.Ticks, tick{Y: c.BaseY - int(v*plotH/top), Label: text(v)})
	}
	return c
}
