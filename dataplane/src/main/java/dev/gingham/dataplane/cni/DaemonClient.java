package dev.gingham.dataplane.cni;

import dev.gingham.dataplane.config.ApiEndpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The plugin's one request to the daemon: an HTTP/1.1 POST of a JSON body over the admin API's
 * unix socket or loopback TCP, {@code Connection: close}, answered with a Content-Length body (the
 * daemon's API always sets one for non-streaming answers).
 *
 * <p>Why not Java's HttpClient or Netty: the plugin is a process per CNI call, and loading either
 * costs more JVM start time than the call itself; one request needs a socket and a few lines.
 * A blocking read has no timeout of its own on a unix socket channel, so a watchdog closes the
 * channel when the deadline passes.
 */
final class DaemonClient {
    private static final int MAX_RESPONSE_BYTES = 1 << 20;

    private final ApiEndpoint endpoint;
    private final Duration timeout;

    /** A response: the HTTP status and the body. */
    record Response(int status, byte[] body) {
    }

    DaemonClient(ApiEndpoint endpoint, Duration timeout) {
        this.endpoint = endpoint;
        this.timeout = timeout;
    }

    /**
     * POSTs {@code json} to {@code path} and returns the answer.
     *
     * @throws CniError 11 (try again later) when the daemon cannot be reached (not running yet),
     *                  5 when the connection broke or the deadline passed mid-answer
     */
    Response post(String path, byte[] json) {
        SocketChannel channel = connect();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                timedOut.set(true);
                channel.close();
            } catch (InterruptedException | IOException done) {
                // answered in time, or already closed
            }
        });
        try (channel) {
            OutputStream out = Channels.newOutputStream(channel);
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUser-Agent: gingham-cni\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(json);
            out.flush();
            return read(new java.io.BufferedInputStream(Channels.newInputStream(channel)));
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, timedOut.get()
                    ? "the Gingham daemon at " + endpoint + " did not answer " + path + " within " + timeout.toSeconds() + " s"
                    : "talking to the Gingham daemon at " + endpoint + " failed: " + e.getMessage(), path);
        } finally {
            watchdog.interrupt();
        }
    }

    private SocketChannel connect() {
        try {
            if (endpoint.isUnix()) {
                return endpoint.connectUnix();
            }
            SocketChannel channel = SocketChannel.open();
            try {
                // a connect to loopback is answered at once (accepted or refused); the bound is for a hung stack
                Socket socket = channel.socket();
                socket.connect(new InetSocketAddress(java.net.InetAddress.getByName(endpoint.host().toString()), endpoint.port()),
                        (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            } catch (IOException e) {
                channel.close();
                throw e;
            }
            return channel;
        } catch (SocketTimeoutException e) {
            throw unreachable("no answer to connect within " + timeout.toSeconds() + " s");
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private CniError unreachable(String why) {
        return new CniError(CniError.TRY_AGAIN_LATER, "cannot reach the Gingham daemon's API at " + endpoint + " (" + why
                + "); is gingham running on this node? (gingham.api in the network configuration says where it listens)",
                "gingham.api");
    }

    private static Response read(InputStream in) throws IOException {
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: '" + statusLine + "'");
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: '" + statusLine + "'");
        }
        long length = -1;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            if (colon > 0 && header.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                length = Long.parseLong(header.substring(colon + 1).trim());
            }
        }
        if (length < 0 || length > MAX_RESPONSE_BYTES) {
            throw new IOException("the answer has no usable Content-Length (" + length + ")");
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new IOException("the connection closed after " + body.length + " of " + length + " bytes");
        }
        return new Response(status, body);
    }

    /** Returns: one header line without its CRLF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c == -1 && b.size() == 0) {
            throw new IOException("the connection closed before the answer");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
