// Package wsdl holds the project's own WSDL and XSD for the part of the GIS ZhKKh
// debt-request service it speaks, and the Go types generated from them (types.go).
package wsdl

//go:generate bash generate.sh
