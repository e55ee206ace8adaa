package alert

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// mailer sends a batch as one e-mail to every recipient.
type mailer struct {
	a        *Alerter
	addr     string
	host     string
	from     *mail.Address
	to       []*mail.Address
	user     string
	password string
	timeout  time.Duration
}

func newMailer(s SMTP, to []string, timeout time.Duration) (*mailer, error) {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("smtp addr %q: want host:port", s.Addr)
	}
	m := &mailer{addr: s.Addr, host: host, user: s.User, password: s.Password, timeout: timeout}
	if s.From == "" {
		return nil, errors.New("smtp from: required with smtp addr")
	}
	if m.from, err = parseAddress("smtp from", s.From); err != nil {
		return nil, err
	}
	if len(to) == 0 {
		return nil, errors.New("to: at least one recipient required with smtp addr")
	}
	for _, t := range to {
		addr, err := parseAddress("recipient", t)
		if err != nil {
			return nil, err
		}
		m.to = append(m.to, addr)
	}
	return m, nil
}

func (m *mailer) name() string { return ChannelEmail }

func (m *mailer) send(ctx context.Context, b batch) error {
	subj, body, files := subject(b), "", []attachment(nil)
	if b.notice != nil {
		subj, body, files = b.notice.subject, b.notice.text, b.notice.attachments
	} else {
		body = m.a.body(b)
	}
	msg, err := m.message(subj, body, files...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", m.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := m.converse(conn, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp %s: %w (%w)", m.addr, ctx.Err(), err)
		}
		return fmt.Errorf("smtp %s: %w", m.addr, err)
	}
	return nil
}

// converse speaks SMTP on conn: STARTTLS when the server offers it, PLAIN authentication
// when a user is set, then one message to every recipient.
func (m *mailer) converse(conn net.Conn, msg []byte) error {
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if m.user != "" {
		// PlainAuth refuses to send the password without TLS, except to localhost.
		if err := c.Auth(smtp.PlainAuth("", m.user, m.password, m.host)); err != nil {
			return fmt.Errorf("auth as %s: %w", m.user, err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, t := range m.to {
		if err := c.Rcpt(t.Address); err != nil {
			return fmt.Errorf("rcpt to %s: %w", t.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("quit: %w", err)
	}
	return nil
}

// message builds the MIME message: UTF-8 text, quoted-printable, the subject Q-encoded;
// with files, multipart/mixed with the text first and each file in base64.
func (m *mailer) message(subj, body string, files ...attachment) ([]byte, error) {
	var buf bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	h("From", m.from.String())
	to := make([]string, len(m.to))
	for i, t := range m.to {
		to[i] = t.String()
	}
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", subj))
	h("Date", m.a.now().Format(time.RFC1123Z))
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	h("Message-ID", "<"+hex.EncodeToString(id)+"@gisgw>")
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	text := func(w io.Writer) error {
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
			return fmt.Errorf("encode body: %w", err)
		}
		if err := qp.Close(); err != nil {
			return fmt.Errorf("encode body: %w", err)
		}
		return nil
	}
	if len(files) == 0 {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		buf.WriteString("\r\n")
		if err := text(&buf); err != nil {
			return nil, err
		}
		buf.WriteString("\r\n")
		return buf.Bytes(), nil
	}
	mw := multipart.NewWriter(&buf)
	h("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	buf.WriteString("\r\n")
	part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	if err := text(part); err != nil {
		return nil, err
	}
	for _, f := range files {
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(f.contentType, map[string]string{"name": f.name})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": f.name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, fmt.Errorf("attach %s: %w", f.name, err)
		}
		// base64 in lines of 76 characters, as RFC 2045 asks.
		enc := base64.StdEncoding.EncodeToString(f.data)
		for len(enc) > 0 {
			n := min(76, len(enc))
			if _, err := io.WriteString(part, enc[:n]+"\r\n"); err != nil {
				return nil, fmt.Errorf("attach %s: %w", f.name, err)
			}
			enc = enc[n:]
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return buf.Bytes(), nil
}
