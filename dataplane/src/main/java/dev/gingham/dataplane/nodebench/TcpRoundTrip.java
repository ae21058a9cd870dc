package dev.gingham.dataplane.nodebench;

import dev.gingham.tap.NetworkNamespace;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A TCP request/response loop in the spirit of netperf's TCP_RR: one connection through the
 * ClusterIP, a 1-byte request, a 1-byte response, the next request when the response arrived.
 * Client and server run in this JVM; their sockets are created inside the pods' namespaces (a
 * socket belongs to the namespace it was made in, {@link NetworkNamespace}), so the bytes go
 * through the path under test. Nagle is off on both ends. The JVM's own share of each exchange
 * is the same on both paths, so the difference between paths is the path's.
 */
final class TcpRoundTrip {
    /** A lost packet the path never recovers from fails the run after this long, instead of hanging it. */
    private static final int IO_TIMEOUT_MS = 5_000;

    private TcpRoundTrip() {
    }

    /**
     * Times {@code count} exchanges after {@code warmup} untimed ones.
     *
     * @param serverIp the server pod's address (it listens there)
     * @param target   the ClusterIP the client connects to
     */
    static LatencyStats run(PodPair pods, String serverIp, String target, int port, int warmup, int count) {
        try (ServerSocketChannel listener = NetworkNamespace.call(pods.serverNs(), () -> {
            ServerSocketChannel s = ServerSocketChannel.open();
            s.bind(new InetSocketAddress(serverIp, port));
            return s;
        });
             SocketChannel client = NetworkNamespace.call(pods.clientNs(), SocketChannel::open)) {
            Thread server = Thread.ofPlatform().name("bench-rr-server").daemon().start(() -> echo(listener));
            Socket socket = client.socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(target, port), IO_TIMEOUT_MS);
            socket.setSoTimeout(IO_TIMEOUT_MS);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            long[] nanos = new long[count];
            for (int i = 0; i < warmup + count; i++) {
                long start = System.nanoTime();
                out.write('q');
                if (in.read() < 0) {
                    throw new IOException("the server closed the connection");
                }
                if (i >= warmup) {
                    nanos[i - warmup] = System.nanoTime() - start;
                }
            }
            client.shutdownOutput();
            server.join(5_000);
            return LatencyStats.of(nanos, count, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("TCP request/response " + pods.clientNs() + " -> " + target + ":" + port + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Server: answers every byte with one byte until the client closes. */
    private static void echo(ServerSocketChannel listener) {
        try (SocketChannel peer = listener.accept()) {
            peer.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer buffer = ByteBuffer.allocateDirect(1);
            while (true) {
                buffer.clear();
                if (peer.read(buffer) < 0) {
                    return;
                }
                buffer.flip();
                while (buffer.hasRemaining()) {
                    peer.write(buffer);
                }
            }
        } catch (IOException e) {
            // the client's side reports the failure (a read error or a closed connection)
        }
    }
}
