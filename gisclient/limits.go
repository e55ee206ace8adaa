package gisclient

import (
	"fmt"
	"unicode/utf8"

	"github.com/gisgw/gisgw/wsdl"
)

// Length limits of the text the client passes on to be stored. Where the official XSD has
// an xs:maxLength, that is the limit; where it leaves an xs:string unbounded (organization
// name and phone, error codes and texts, UniqueNumber), the limit is the project's own,
// far above any real value: a response beyond it is broken or hostile, and refusing it
// keeps megabytes of text out of the store, the logs and the dashboard.
const (
	maxRequestNumber = 30   // RequestNumberType
	maxString255     = 255  // String255Type, PersonNameType (fio, names), addressDetails, act number
	maxAdressType    = 36   // adressType
	maxString4000    = 4000 // String4000Type: address, cancelledAddressText
	maxDescription   = 1000 // responseData/description
	maxAttachName    = 1024 // base:AttachmentType/Name
	maxAttachDesc    = 500  // base:AttachmentType/Description
	maxOrgName       = 1000 // organization/name: xs:string (project limit)
	maxTel           = 255  // organization/tel: xs:string (project limit)
	maxErrorCode     = 64   // ErrorCode: xs:string (project limit; GIS codes have 9 characters)
	maxErrorText     = 4000 // error Description / Fault ErrorMessage: xs:string (project limit)
	maxUniqueNumber  = 255  // importResult/UniqueNumber: xs:string (project limit)
)

// field is one text value to check.
type field struct {
	path  string
	value string
	max   int
}

// checkFields refuses the first value longer than its limit, naming the element.
func checkFields(fields ...field) error {
	for _, f := range fields {
		// len is a cheap upper bound of the rune count: most values never need the count.
		if len(f.value) <= f.max {
			continue
		}
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return fmt.Errorf("%s has %d characters, more than the %d allowed; the response is refused", f.path, n, f.max)
		}
	}
	return nil
}

func strOf[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// checkResultLengths bounds the error texts and numbers of a getStateResult.
func checkResultLengths(res *wsdl.GetStateResult) error {
	var fs []field
	if em := res.ErrorMessage; em != nil {
		fs = append(fs, field{"ErrorMessage/ErrorCode", em.ErrorCode, maxErrorCode}, field{"ErrorMessage/Description", em.Description, maxErrorText})
	}
	for i, r := range res.ImportResult {
		if r == nil {
			continue
		}
		fs = append(fs, field{fmt.Sprintf("importResult[%d]/UniqueNumber", i), r.UniqueNumber, maxUniqueNumber})
		for j, e := range r.Error {
			if e != nil {
				fs = append(fs, field{fmt.Sprintf("importResult[%d]/Error[%d]/ErrorCode", i, j), e.ErrorCode, maxErrorCode},
					field{fmt.Sprintf("importResult[%d]/Error[%d]/Description", i, j), e.Description, maxErrorText})
			}
		}
	}
	return checkFields(fs...)
}

// checkDSRLengths bounds every text of an exported sub-request the daemon stores or shows.
func checkDSRLengths(sr *wsdl.DSRType) error {
	var fs []field
	if ri := sr.RequestInfo; ri != nil {
		fs = append(fs, field{"requestInfo/requestNumber", strOf(ri.RequestNumber), maxRequestNumber})
		if o := ri.Organization; o != nil {
			fs = append(fs, field{"requestInfo/organization/name", o.Name, maxOrgName}, field{"requestInfo/organization/tel", o.Tel, maxTel})
		}
		if h := ri.HousingFundObject; h != nil {
			fs = append(fs,
				field{"requestInfo/housingFundObject/addressDetails", strOf(h.AddressDetails), maxString255},
				field{"requestInfo/housingFundObject/adressType", strOf(h.AdressType), maxAdressType},
				field{"requestInfo/housingFundObject/address", strOf(h.Address), maxString4000})
		}
		if e := ri.ExecutorInfo; e != nil {
			fs = append(fs, field{"requestInfo/executorInfo/fio", strOf(e.Fio), maxString255})
		}
	}
	if rd := sr.ResponseData; rd != nil {
		fs = append(fs, field{"responseData/description", strOf(rd.Description), maxDescription})
		if e := rd.ExecutorInfo; e != nil {
			fs = append(fs, field{"responseData/executorInfo/fio", strOf(e.Fio), maxString255})
		}
		for i, di := range rd.DebtInfo {
			if di == nil {
				continue
			}
			at := fmt.Sprintf("responseData/debtInfo[%d]", i)
			if p := di.Person; p != nil {
				fs = append(fs,
					field{at + "/person/firstName", strOf(p.FirstName), maxString255},
					field{at + "/person/lastName", strOf(p.LastName), maxString255},
					field{at + "/person/middleName", strOf(p.MiddleName), maxString255})
				if d := p.Document; d != nil {
					fs = append(fs, field{at + "/person/document/series", strOf(d.Series), maxString255},
						field{at + "/person/document/number", strOf(d.Number), maxString255})
				}
			}
			for j, d := range di.Document {
				if d == nil {
					continue
				}
				dat := fmt.Sprintf("%s/document[%d]", at, j)
				fs = append(fs, attachmentFields(dat+"/attachment", d.Attachment)...)
				if a := d.ActType; a != nil {
					fs = append(fs, field{dat + "/actType/number", strOf(a.Number), maxString255})
				}
				if c := d.CancelledAddress; c != nil {
					fs = append(fs, field{dat + "/cancelledAddress/cancelledAddressText", strOf(c.CancelledAddressText), maxString4000})
				}
			}
		}
		for i, f := range rd.AdditionalFile {
			fs = append(fs, attachmentFields(fmt.Sprintf("responseData/additionalFile[%d]", i), f)...)
		}
	}
	return checkFields(fs...)
}

func attachmentFields(at string, a *wsdl.AttachmentType) []field {
	if a == nil {
		return nil
	}
	return []field{{at + "/Name", a.Name, maxAttachName}, {at + "/Description", a.Description, maxAttachDesc}}
}
