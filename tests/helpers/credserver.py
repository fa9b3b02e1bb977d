#!/usr/bin/python3
"""credserver.py PORTFILE LOG: a double of the container credentials
endpoint and of EC2 instance metadata (IMDSv2), for the credential chain
tests.  Serves the keys in CRED_KEY / CRED_SECRET (and CRED_TOKEN) as:

  GET /creds                 container credentials; needs the header
                             Authorization: $CRED_AUTH when that is set
  GET /creds-soon            the same, expiring in ten minutes
  PUT /latest/api/token      an IMDSv2 session token (needs the TTL header)
  GET /latest/meta-data/iam/security-credentials/        the role name
  GET /latest/meta-data/iam/security-credentials/ROLE    the keys
                             (both need X-aws-ec2-metadata-token)

Each request is logged as "METHOD PATH STATUS" to LOG.
"""
import http.server
import json
import os
import sys
import time

TOKEN = "imds-token-123"
ROLE = "imgq-role"


class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(sys.argv[2], "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def creds(self, expires="2999-01-01T00:00:00Z"):
        return json.dumps({
            "Code": "Success", "Type": "AWS-HMAC",
            "AccessKeyId": os.environ["CRED_KEY"],
            "SecretAccessKey": os.environ["CRED_SECRET"],
            "Token": os.environ.get("CRED_TOKEN", ""),
            "Expiration": expires})

    def do_PUT(self):
        if self.path == "/latest/api/token" and \
                self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(200, TOKEN)
        return self.reply(400, "bad token request")

    def do_GET(self):
        if self.path in ("/creds", "/creds-soon"):
            want = os.environ.get("CRED_AUTH")
            if want and self.headers.get("Authorization") != want:
                return self.reply(401, "no")
            exp = None
            if self.path == "/creds-soon":
                exp = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                    time.gmtime(time.time() + 600))
            return self.reply(200, self.creds(*([exp] if exp else [])),
                              "application/json")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path.startswith(base):
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                return self.reply(401, "")
            if self.path == base:
                return self.reply(200, ROLE + "\n")
            if self.path == base + ROLE:
                return self.reply(200, self.creds(), "application/json")
        return self.reply(404, "")

    def log_message(self, *args):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
