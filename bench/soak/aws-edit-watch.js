'use strict';
// A pass-through HTTP proxy in front of the AWS fake that notices when two calls that change one
// security group (Authorize or Revoke) are in flight at the same time. The engine claims a firewall
// for one instance at a time (resource_sync lease), and one sync makes its calls one after the
// other, so this should never happen; when it does, two instances worked one firewall at once (a
// sync that outlived its lease, say), and a late call can undo a newer one.
const http = require('node:http');

const EDITS = new Set(['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress']);

function parse(body) {
  const params = new URLSearchParams(body);
  const cidrs = [];
  for (const [key, value] of params) if (/CidrIp(v6)?$/.test(key)) cidrs.push(value);
  return { action: params.get('Action'), groupId: params.get('GroupId'), cidrs };
}

/** Starts the proxy on a free loopback port; `url` replaces the fake's URL as AWS_ENDPOINT_URL. */
function startAwsEditWatch(targetUrl) {
  const target = new URL(targetUrl);
  const inFlight = new Map(); // groupId -> Set of calls
  const overlaps = [];
  let edits = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const call = { ...parse(body.toString('utf8')), start: Date.now(), end: null };
      const watched = EDITS.has(call.action) && call.groupId;
      if (watched) {
        edits++;
        const others = inFlight.get(call.groupId) ?? new Set();
        for (const other of others) if (overlaps.length < 200) overlaps.push({ groupId: call.groupId, first: other, second: call });
        others.add(call);
        inFlight.set(call.groupId, others);
      }
      // Done when the fake answers (it applies a change before it answers), even if our caller gave
      // up or died meanwhile: until then the edit can still land.
      const done = () => {
        call.end = Date.now();
        if (watched) inFlight.get(call.groupId)?.delete(call);
      };
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          done();
          res.on('error', () => {});
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        done();
        res.destroy();
      });
      upstream.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        overlaps,
        edits: () => edits,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

function describeOverlap(o) {
  const fmt = (c) =>
    `${c.action.replace('SecurityGroupIngress', '')} [${c.cidrs.join(' ')}] ${new Date(c.start).toISOString().slice(11, 23)}`;
  return `${o.groupId}: ${fmt(o.first)} still in flight when ${fmt(o.second)} arrived`;
}

module.exports = { startAwsEditWatch, describeOverlap };
