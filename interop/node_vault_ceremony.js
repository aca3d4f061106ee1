// Drive the example server with node-vault, the Node.js Vault client, through whole ceremonies.
//
// Usage: NODE_PATH=<dir>/node_modules node node_vault_ceremony.js PATH/TO/server
//
// Starts the server on 127.0.0.1:0, reads its address and unseal keys from stdout, then runs a
// root generation with node-vault's generateRootInit / generateRootUpdate / generateRootCancel
// (status through its generic read('sys/generate-root/attempt')), and a recovery generation
// through its generic read / write / delete. Tokens are decoded here, independently of the
// crate: base64 without padding, XOR with the OTP.
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const readline = require('readline');
const vault = require('node-vault');

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
let passed = 0;

class CheckFailed extends Error {}

function check(cond, what, seen) {
    if (!cond) {
        console.error(`node-vault: FAILED: ${what}\n  the client saw: ${JSON.stringify(seen)}`);
        throw new CheckFailed(what);
    }
    passed += 1;
    console.log(`ok - ${what}`);
}

// The promise must reject with node-vault's ApiResponseError carrying this status and message,
// and the body {"errors":[text]} (or `body`).
async function expectError(promise, status, text, body = { errors: [text] }) {
    let seen;
    try {
        seen = await promise;
    } catch (e) {
        const got = e.response ? { status: e.response.statusCode, body: e.response.body } : String(e);
        check(
            e.response && e.response.statusCode === status && e.message === text
                && JSON.stringify(e.response.body) === JSON.stringify(body),
            `error ${status} ${JSON.stringify(text)}`,
            got,
        );
        return;
    }
    check(false, `error ${status} ${JSON.stringify(text)}`, seen);
}

// Vault's client-side decode: base64 without padding, XOR with the OTP's bytes.
function decodeToken(encoded, otp) {
    const raw = Buffer.from(encoded, 'base64');
    check(raw.length === otp.length, 'encoded token has the OTP\'s length', encoded);
    return Buffer.from(raw.map((b, i) => b ^ otp.charCodeAt(i))).toString('utf8');
}

function isToken(token, prefix) {
    const body = token.slice(prefix.length);
    return token.startsWith(prefix) && body.length === 24 && [...body].every((c) => BASE62.includes(c));
}

// The token that may run root generation (Vault 2.x's default), handed over in a token file.
const CALLER_TOKEN = 'hvs.interopCallerToken000000';

function startServer(binary) {
    return new Promise((resolve, reject) => {
        const dir = require('fs').mkdtempSync(require('path').join(require('os').tmpdir(), 'nv-'));
        const tokenFile = require('path').join(dir, 'tokens');
        require('fs').writeFileSync(tokenFile, CALLER_TOKEN + '\n');
        const proc = spawn(binary, ['--listen', '127.0.0.1:0', '--token-file', tokenFile],
            { stdio: ['ignore', 'pipe', 'inherit'] });
        const shares = [];
        const lines = readline.createInterface({ input: proc.stdout });
        const timer = setTimeout(() => reject(new Error('no "Listening on" line within 30 s')), 30000);
        lines.on('line', (line) => {
            if (line.startsWith('Unseal Key ')) shares.push(line.split(': ')[1]);
            if (line.startsWith('Listening on ')) {
                clearTimeout(timer);
                resolve({ proc, url: line.split(' ')[2], shares });
            }
        });
        proc.on('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    });
}

async function rootCeremony(client, shares) {
    let status = await client.read('sys/generate-root/attempt');
    check(status.started === false && status.otp_length === 28, 'read(sys/generate-root/attempt)', status);

    // A server-generated OTP, then generateRootCancel.
    let started = await client.generateRootInit();
    check(started.started === true && started.otp.length === 28, 'generateRootInit() generates an OTP', started);
    const cancelled = await client.generateRootCancel();
    check(cancelled === '' || cancelled === undefined, 'generateRootCancel: empty 204', cancelled);
    status = await client.read('sys/generate-root/attempt');
    check(status.started === false, 'status after cancel: not started', status);

    const otp = Array.from(crypto.randomBytes(28), (b) => BASE62[b % 62]).join('');
    started = await client.generateRootInit({ otp });
    const { nonce } = started;
    check(started.started === true && started.otp === '' && started.required === 3,
        'generateRootInit({ otp })', started);
    await expectError(client.generateRootInit({ otp }), 400, 'root generation already in progress');

    const first = await client.generateRootUpdate({ key: shares[1], nonce });
    check(first.progress === 1 && first.complete === false, 'generateRootUpdate: progress 1', first);
    await expectError(client.generateRootUpdate({ key: 'not a key', nonce }), 400,
        '\'key\' must be a valid hex or base64 string');
    await expectError(client.generateRootUpdate({ key: shares[2], nonce: 'wrong' }), 400,
        `incorrect nonce supplied; nonce for this root generation operation is "${nonce}"`);
    await client.generateRootUpdate({ key: shares[2], nonce });
    const done = await client.generateRootUpdate({ key: shares[0], nonce });
    check(done.complete === true && done.encoded_root_token === done.encoded_token,
        'generateRootUpdate: complete', done);
    const token = decodeToken(done.encoded_root_token, otp);
    check(isToken(token, 'hvs.'), 'decoded root token is hvs. + 24 base62', token);
}

async function recoveryCeremony(client, url, shares) {
    const path = 'sys/generate-recovery-token/attempt';
    // Recovery mode's 403 carries no message (OpenBao 2.7.2 observed): node-vault says the status.
    await expectError(client.read('sys/raw/anything'), 403, 'Status 403', { errors: [] });
    const started = await client.write(path, {});
    const { otp, nonce } = started;
    check(otp.length === 28 && started.started === true, 'recovery start via write()', started);
    await expectError(client.write('sys/generate-root/update', { key: shares[0], nonce }), 400,
        'incorrect strategy supplied; a generate root operation of another type is already in progress');
    let answer;
    for (const key of [shares[4], shares[0], shares[3]]) {
        answer = await client.write('sys/generate-recovery-token/update', { key, nonce });
    }
    check(answer.complete === true && answer.progress === 3, 'recovery complete via write()', answer);
    const token = decodeToken(answer.encoded_token, otp);
    check(isToken(token, 'hvr.'), 'decoded recovery token is hvr. + 24 base62', token);
    await expectError(vault({ endpoint: url, token }).read('sys/raw/anything'), 404, 'Status 404',
        { errors: [] });
    const deleted = await client.delete(path);
    check(deleted === '' || deleted === undefined, 'delete() on the attempt: 204', deleted);
    await expectError(client.write(path, {}), 400, 'attempt to generate recovery token when already unsealed');
}

async function main() {
    const { proc, url, shares } = await startServer(process.argv[2]);
    const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    let ok = false;
    try {
        check(shares.length === 5, 'server printed 5 unseal keys', shares);
        const client = vault({ endpoint: url, token: CALLER_TOKEN });
        await rootCeremony(client, shares);
        await recoveryCeremony(client, url, shares);
        ok = true;
    } catch (e) {
        if (!(e instanceof CheckFailed)) console.error('node-vault: FAILED:', e);
    } finally {
        proc.kill('SIGTERM');
    }
    const code = await exited;
    if (ok) check(code === 0, 'server exits 0 on SIGTERM', code);
    const version = require('node-vault/package.json').version;
    console.log(`node-vault ${version} against the example server`);
    console.log(`node-vault: ${passed} passed, ${ok ? 0 : 1} failed`);
    process.exit(ok ? 0 : 1);
}

main();
