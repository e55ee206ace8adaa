package importer

import (
	"fmt"
	"strings"
)

// column is one column an import understands: its canonical English name and the Russian
// (and other) header names accepted for it. docs/import.md lists the same aliases.
type column struct {
	name     string
	required bool
	aliases  []string
}

func premisesColumns() []column {
	return []column{
		{"premise_id", true, []string{"код помещения", "ид помещения", "идентификатор помещения", "номер помещения в учете"}},
		{"hm_object_guid", false, []string{"hmobjectguid", "guid помещения", "guid объекта жилищного фонда", "код помещения гис жкх"}},
		{"house_guid", false, []string{"guid дома", "код дома гис жкх", "гуид дома"}},
		{"fias_house_guid", false, []string{"guid дома фиас", "код дома фиас", "фиас", "guid фиас"}},
		{"flat", false, []string{"квартира", "номер квартиры", "кв"}},
		{"room", false, []string{"комната", "номер комнаты"}},
		{"address", true, []string{"адрес", "адрес помещения"}},
		{"account_number", false, []string{"лицевой счет", "номер лицевого счета", "лс"}},
	}
}

func courtActColumns() []column {
	return []column{
		{"act_id", true, []string{"код акта", "ид акта", "идентификатор акта"}},
		{"premise_id", true, []string{"код помещения", "ид помещения", "идентификатор помещения"}},
		{"case_number", false, []string{"номер дела", "номер акта", "номер судебного акта"}},
		{"act_kind", true, []string{"вид акта", "тип акта", "вид судебного акта"}},
		{"pronounced_on", false, []string{"дата вынесения", "дата акта", "дата судебного акта"}},
		{"effective_on", false, []string{"дата вступления в силу", "вступил в силу"}},
		{"debt_from", false, []string{"период долга с", "начало периода долга", "долг с"}},
		{"debt_to", false, []string{"период долга по", "конец периода долга", "долг по"}},
		{"amount", false, []string{"сумма", "сумма долга", "взысканная сумма", "сумма по акту"}},
		{"outstanding", false, []string{"остаток", "остаток долга", "непогашенный остаток", "задолженность"}},
		{"balance_on", false, []string{"остаток на дату", "дата остатка"}},
		{"cancelled_on", false, []string{"дата отмены", "отменен"}},
		{"debtor_last_name", true, []string{"фамилия должника", "фамилия"}},
		{"debtor_first_name", true, []string{"имя должника", "имя"}},
		{"debtor_middle_name", false, []string{"отчество должника", "отчество"}},
		{"debtor_snils", false, []string{"снилс", "снилс должника"}},
		{"debtor_doc_type", false, []string{"вид документа", "код вида документа", "тип документа"}},
		{"debtor_doc_series", false, []string{"серия документа", "серия"}},
		{"debtor_doc_number", false, []string{"номер документа"}},
		{"document_file", false, []string{"файл акта", "файл", "документ", "файл документа"}},
	}
}

// normalizeName folds a header (or a keyword value) for comparison: lowercase, ё→е,
// underscores and runs of spaces as one space, trimmed, a trailing ':' or '*' dropped.
func normalizeName(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	s = strings.ReplaceAll(s, "ё", "е")
	s = strings.ReplaceAll(s, "_", " ")
	s = strings.TrimRight(s, ":* ")
	return strings.Join(strings.Fields(s), " ")
}

// columns maps canonical names to cell indexes for one file.
type columns map[string]int

// get returns the row's value in the named column, "" when the file has no such column.
func (c columns) get(r Row, name string) string {
	i, ok := c[name]
	if !ok {
		return ""
	}
	return r.Cells[i]
}

func (c columns) has(name string) bool {
	_, ok := c[name]
	return ok
}

// mapHeader matches the header against the known columns. Unknown, repeated and missing
// required columns are errors: a misspelt "effective_on" silently ignored would turn every
// act into one not in force.
func mapHeader(t *Table, known []column, errs *collector) columns {
	byName := make(map[string]string)
	var names []string
	for _, c := range known {
		byName[normalizeName(c.name)] = c.name
		for _, a := range c.aliases {
			byName[normalizeName(a)] = c.name
		}
		names = append(names, c.name)
	}
	cols := make(columns)
	for i, h := range t.Header {
		if h == "" {
			// Spreadsheets often carry empty header cells after the last column; a value
			// under one is reported per row below.
			continue
		}
		name, ok := byName[normalizeName(h)]
		if !ok {
			errs.add(t.HeaderRow, "", "unknown column %q (known columns: %s; see docs/import.md for Russian names)", h, strings.Join(names, ", "))
			continue
		}
		if j, dup := cols[name]; dup {
			errs.add(t.HeaderRow, name, "column given twice (%q and %q)", t.Header[j], h)
			continue
		}
		cols[name] = i
	}
	for _, c := range known {
		if c.required && !cols.has(c.name) {
			errs.add(t.HeaderRow, c.name, "required column is missing")
		}
	}
	for _, r := range t.Rows {
		valuesWithoutHeader(t.Header, r, errs)
	}
	return cols
}

// valuesWithoutHeader reports the row's values under empty header cells.
func valuesWithoutHeader(header []string, r Row, errs *collector) {
	for i, h := range header {
		if h == "" && r.Cells[i] != "" {
			errs.add(r.Line, "", "value %q in column %d, which has no header", clip(r.Cells[i]), i+1)
		}
	}
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const n = 40
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// cellTooLong reports every over-long cell of a row, in column order.
func cellTooLong(r Row, cols columns, known []column, errs *collector) {
	for _, c := range known {
		if i, ok := cols[c.name]; ok && len(r.Cells[i]) > maxCell {
			errs.add(r.Line, c.name, "value is longer than %d bytes", maxCell)
		}
	}
}

// requireOne adds an error when the row has none of the named values.
func requireOne(r Row, cols columns, errs *collector, names ...string) {
	for _, n := range names {
		if cols.get(r, n) != "" {
			return
		}
	}
	errs.add(r.Line, names[0], "one of %s is required", strings.Join(names, ", "))
}

func required(r Row, cols columns, errs *collector, name string) string {
	v := cols.get(r, name)
	if v == "" && cols.has(name) {
		errs.add(r.Line, name, "value is required")
	}
	return v
}

func guidCell(r Row, cols columns, errs *collector, name string) string {
	v := cols.get(r, name)
	if v == "" {
		return ""
	}
	g, err := parseGUID(v)
	if err != nil {
		errs.add(r.Line, name, "%v", err)
	}
	return g
}

// importKinds are the kinds of import file, by the gisgw import sub-command that reads them.
var importKinds = []struct {
	command string
	columns func() []column
}{
	{"premises", premisesColumns},
	{"court-acts", courtActColumns},
	{"agreements", agreementColumns},
}

// requiredFound counts the required columns of known that the header names.
func requiredFound(header []string, known []column) (found, required int) {
	names := make(map[string]bool)
	for _, h := range header {
		names[normalizeName(h)] = true
	}
	for _, c := range known {
		if !c.required {
			continue
		}
		required++
		if names[normalizeName(c.name)] {
			found++
			continue
		}
		for _, a := range c.aliases {
			if names[normalizeName(a)] {
				found++
				break
			}
		}
	}
	return found, required
}

// wrongKind reports, as one error, a file whose header lacks most of the required columns of
// command's kind: court acts given as premises would otherwise list every missing column on
// every row. It names the kind the header looks like, when one fits better.
func wrongKind(t *Table, command string) error {
	var own []column
	for _, k := range importKinds {
		if k.command == command {
			own = k.columns()
		}
	}
	found, required := requiredFound(t.Header, own)
	if 2*found > required {
		return nil
	}
	best, bestShare := "", 0.0
	for _, k := range importKinds {
		if k.command == command {
			continue
		}
		f, r := requiredFound(t.Header, k.columns())
		if share := float64(f) / float64(r); share > 0.5 && share > bestShare {
			best, bestShare = k.command, share
		}
	}
	reason := fmt.Sprintf("the header has %d of the %d required %s columns: is this the right file, and is its header the first line?", found, required, command)
	if best != "" {
		article := "a"
		if strings.HasPrefix(best, "a") {
			article = "an"
		}
		reason = fmt.Sprintf("these are the columns of %s %s file, not %s: import it with gisgw import %s", article, best, command, best)
	}
	return &RowErrors{Errors: []RowError{{Line: t.HeaderRow, Reason: reason}}}
}
