package dev.gingham.dataplane.cni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the daemon's admin API on a unix socket: answers every request with one canned
 * status and body, and records what it was asked (request line and body), so the plugin's wire
 * behaviour is tested without root or a daemon.
 */
final class FakeDaemon implements AutoCloseable {
    /** One request as received. */
    record Received(String requestLine, String body) {
    }

    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String body = "{}";

    FakeDaemon(Path socket) throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = Thread.ofPlatform().daemon().name("fake-daemon").start(this::serve);
    }

    void answer(int newStatus, String newBody) {
        status = newStatus;
        body = newBody;
    }

    List<Received> received() {
        return received;
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                InputStream in = new java.io.BufferedInputStream(Channels.newInputStream(c));
                String requestLine = line(in);
                int length = 0;
                for (String h = line(in); !h.isEmpty(); h = line(in)) {
                    if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).trim());
                    }
                }
                received.add(new Received(requestLine, new String(in.readNBytes(length), StandardCharsets.UTF_8)));
                byte[] payload = body.getBytes(StandardCharsets.UTF_8);
                Channels.newOutputStream(c).write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: "
                        + payload.length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws Exception {
        server.close();
        acceptor.join(2000);
    }
}
