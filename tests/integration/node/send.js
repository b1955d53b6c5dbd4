// send.js - submits one message to tern with nodemailer, as a Node.js application would.
// Reads a JSON job on standard input: {host, port, secure, user, pass, authMethod, from, to,
// raw | subject/text/html/attachments}. Prints nodemailer's info as JSON (info.response holds
// the server's "250 ... queued as ID") and exits 0, or prints the error and exits 1.
'use strict';
const nodemailer = require('nodemailer');

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const job = JSON.parse(input);
  const transport = nodemailer.createTransport({
    host: job.host,
    port: job.port,
    secure: job.secure,          // true: implicit TLS; false: STARTTLS (required below)
    requireTLS: !job.secure,
    auth: { user: job.user, pass: job.pass },
    authMethod: job.authMethod,  // PLAIN or LOGIN
    tls: { rejectUnauthorized: false }, // the test server's certificate is self-signed
    name: 'node.client.test',
  });
  const mail = { envelope: { from: job.from, to: job.to } };
  if (job.raw !== undefined) {
    mail.raw = Buffer.from(job.raw, 'base64');
  } else {
    Object.assign(mail, {
      from: job.from, to: job.to, subject: job.subject, text: job.text, html: job.html,
      attachments: (job.attachments || []).map((a) => ({
        filename: a.filename, content: Buffer.from(a.content, 'base64'),
      })),
    });
  }
  try {
    const info = await transport.sendMail(mail);
    process.stdout.write(JSON.stringify(info) + '\n');
    process.exit(0);
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e), code: e.responseCode,
                                          response: e.response }) + '\n');
    process.exit(1);
  }
});
