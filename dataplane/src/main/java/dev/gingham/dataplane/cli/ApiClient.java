package dev.gingham.dataplane.cli;

import dev.gingham.dataplane.config.ApiEndpoint;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The CLI's one client of the admin API, over either endpoint kind: Java's {@link HttpClient}
 * for loopback TCP, and for a unix socket a minimal HTTP/1.1 client over a
 * {@link SocketChannel} (HttpClient cannot dial unix sockets): one GET per connection
 * ({@code Connection: close}), fixed-length or chunked bodies.
 *
 * <p>Whatever fails before a response arrives (nothing listening, no socket file, a timeout) is an
 * {@link Unreachable} whose message says where it looked and how to point elsewhere.
 */
public final class ApiClient {
    private final ApiEndpoint endpoint;
    private final Duration timeout;
    private final HttpClient http;

    /** A response: status, content type and body text. */
    public record Response(int status, String contentType, String body) {
    }

    /** The daemon could not be reached (or did not answer in time). */
    public static final class Unreachable extends IOException {
        private static final long serialVersionUID = 1L;

        Unreachable(ApiEndpoint endpoint, String why, Throwable cause) {
            super("cannot reach the Gingham admin API at " + endpoint + " (" + why + "). Is 'gingham run' running on this "
                    + "node? Point at its API with --api ADDRESS or --config node.yaml (its api.listen).", cause);
        }
    }

    /**
     * @param timeout bound on connecting and on a whole non-streaming request
     */
    public ApiClient(ApiEndpoint endpoint, Duration timeout) {
        this.endpoint = endpoint;
        this.timeout = timeout;
        this.http = endpoint.isUnix() ? null : HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** GETs {@code pathAndQuery} ("/v1/conntrack?limit=5") and returns the whole response. */
    public Response get(String pathAndQuery) throws IOException {
        if (endpoint.isUnix()) {
            return unixGet(pathAndQuery);
        }
        HttpRequest request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(timeout).GET().build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new Unreachable(endpoint, reason(e), e);
        } catch (HttpTimeoutException e) {
            throw new Unreachable(endpoint, "no answer within " + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * GETs a stream and hands each line to {@code sink} until the server ends it or the sink
     * returns false (then the connection is closed, which ends the server's stream).
     *
     * @return the response of an error status (its whole body), or null after a 200 stream
     */
    public Response stream(String pathAndQuery, Predicate<String> sink) throws IOException {
        if (endpoint.isUnix()) {
            return unixStream(pathAndQuery, sink);
        }
        HttpRequest request = HttpRequest.newBuilder(uri(pathAndQuery)).GET().build();
        HttpResponse<Stream<String>> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new Unreachable(endpoint, reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try (Stream<String> lines = r.body()) {
            if (r.statusCode() != 200) {
                return new Response(r.statusCode(), r.headers().firstValue("content-type").orElse(""),
                        String.join("\n", lines.toList()));
            }
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                if (!sink.test(it.next())) {
                    break;
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return null;
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://" + endpoint + pathAndQuery);
    }

    private static String reason(Exception e) {
        String message = e.getMessage();
        return message == null || message.isEmpty() ? "connection refused" : message;
    }

    // ---- unix socket: a minimal HTTP/1.1 client ----------------------------------------------------

    private SocketChannel connectUnix() throws Unreachable {
        try {
            return endpoint.connectUnix();
        } catch (IOException e) {
            throw new Unreachable(endpoint, reason(e), e);
        }
    }

    private Response unixGet(String pathAndQuery) throws IOException {
        try (SocketChannel channel = connectUnix()) {
            // A blocking channel read has no timeout of its own: closing it from a watchdog unblocks it.
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(timeout);
                    channel.close();
                } catch (InterruptedException | IOException done) {
                    // finished in time, or already closed
                }
            });
            try {
                UnixResponse r = sendUnix(channel, pathAndQuery);
                return new Response(r.status, r.contentType, new String(r.body.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                if (!watchdog.isAlive()) {
                    throw new Unreachable(endpoint, "no answer within " + timeout.toSeconds() + " s", e);
                }
                throw e;
            } finally {
                watchdog.interrupt();
            }
        }
    }

    private Response unixStream(String pathAndQuery, Predicate<String> sink) throws IOException {
        try (SocketChannel channel = connectUnix()) {
            UnixResponse r = sendUnix(channel, pathAndQuery);
            if (r.status != 200) {
                return new Response(r.status, r.contentType, new String(r.body.readAllBytes(), StandardCharsets.UTF_8));
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(r.body, StandardCharsets.UTF_8));
            String line;
            while ((line = lines.readLine()) != null) {
                if (!sink.test(line)) {
                    break;
                }
            }
            return null;
        }
    }

    private record UnixResponse(int status, String contentType, InputStream body) {
    }

    private static UnixResponse sendUnix(SocketChannel channel, String pathAndQuery) throws IOException {
        OutputStream out = Channels.newOutputStream(channel);
        out.write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "User-Agent: gingham-cli\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = new java.io.BufferedInputStream(Channels.newInputStream(channel));
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: '" + statusLine + "'");
        }
        int status = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        String contentType = "";
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "content-type" -> contentType = value;
                default -> { }
            }
        }
        InputStream body = chunked ? new ChunkedBody(in) : length >= 0 ? new FixedBody(in, length) : in;
        return new UnixResponse(status, contentType, body);
    }

    /** Returns: one header line without its CRLF (ISO-8859-1, as HTTP headers are). */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c == -1 && b.size() == 0) {
            throw new EOFException("connection closed before the response ended");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** A body of Content-Length bytes. */
    private static final class FixedBody extends InputStream {
        private final InputStream in;
        private long left;

        FixedBody(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int c = in.read();
            if (c >= 0) {
                left--;
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** A chunked body (RFC 9112 §7.1): hex size line, data, CRLF; a zero size ends it. */
    private static final class ChunkedBody extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        private boolean next() throws IOException {
            if (done) {
                return false;
            }
            if (left == 0) {
                String size = line(in);
                int semicolon = size.indexOf(';');
                left = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
                if (left == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers: none are used
                    }
                    done = true;
                    return false;
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!next()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("connection closed inside a chunk");
            }
            left -= n;
            if (left == 0) {
                line(in); // the CRLF after the chunk's data
            }
            return n;
        }
    }
}
