package dev.gingham.dataplane.api;

import dev.gingham.dataplane.config.ApiEndpoint;
import dev.gingham.dataplane.flow.FlowHub;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.policy.PolicyFlowNames;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The admin API server (Netty, HTTP/1.1), node-local only: a loopback TCP address or a unix
 * socket. It reads the node and never writes a map itself: the CNI plugin's calls go to the
 * daemon's {@link PodNetwork}, which does its work on the control thread; see {@link ApiHandler} for the paths.
 *
 * <p>The daemon builds it with the node, its telemetry and the endpoint from node.yaml, calls
 * {@link #start()} once the node is up, and {@link #close()} on shutdown:
 * <pre>
 *   AdminServer api = new AdminServer(config.api(), node, telemetry);
 *   api.start();          // binds, or throws IllegalStateException saying why
 *   ...
 *   api.close();          // ends streams, stops listening; bounded (about 3 s at most)
 * </pre>
 *
 * <p>Why a non-loopback address is refused here too ({@code ApiEndpoint.parse} refuses it first):
 * the API dumps conntrack and policy and streams flows; pods reach every other node address.
 * A unix socket file is created with mode 0660 (owner and group), a stale one (nobody listening)
 * is replaced, a live one or a non-socket file at the path is an error, and the file is removed
 * on close. Threads: one I/O thread, two handler threads (dumps run there, so a large conntrack
 * dump never stalls the I/O of other connections or a flow stream), and the {@link FlowHub}'s.
 */
public final class AdminServer implements AutoCloseable {
    /** Longest request accepted (GETs: a path and a query; the CNI plugin's POSTs: a few hundred bytes of JSON). */
    private static final int MAX_REQUEST_BYTES = 64 * 1024;
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration FLOW_POLL_PERIOD = Duration.ofMillis(10);
    /** Views and CNI calls; a CNI call waits for the control thread, so two of them must not hold up every view. */
    private static final int HANDLER_THREADS = 4;

    private final ApiEndpoint endpoint;
    private final ConfiguredNode node;
    private final NodeTelemetry telemetry;
    private final FlowHub flows;
    private final PodNetwork podNetwork;
    private final ChannelGroup connections = new DefaultChannelGroup("gingham-api", GlobalEventExecutor.INSTANCE);
    private EventLoopGroup ioGroup;
    private ExecutorService handlers;
    private Channel serverChannel;
    private ApiEndpoint bound;
    private boolean ownsSocketFile;

    /**
     * @throws IllegalArgumentException when {@code endpoint} is reachable from outside the node
     */
    public AdminServer(ApiEndpoint endpoint, ConfiguredNode node, NodeTelemetry telemetry) {
        this(endpoint, node, telemetry, null);
    }

    /**
     * @param podNetwork answers the CNI plugin's calls ({@code POST /v1/cni/*}), or null for none
     * @throws IllegalArgumentException when {@code endpoint} is reachable from outside the node
     */
    public AdminServer(ApiEndpoint endpoint, ConfiguredNode node, NodeTelemetry telemetry, PodNetwork podNetwork) {
        this.podNetwork = podNetwork;
        if (!endpoint.nodeLocal()) {
            throw new IllegalArgumentException("admin API: refusing to listen on " + endpoint + ": the API is node-local "
                    + "only (a 127.0.0.0/8 or [::1] address, or unix:/absolute/path)");
        }
        this.endpoint = endpoint;
        this.node = node;
        this.telemetry = telemetry;
        this.flows = new FlowHub(java.util.List.of(node.state().flowRings()), new PolicyFlowNames(node.state().policy()),
                node.config().nodeName(), FLOW_POLL_PERIOD);
    }

    /**
     * Binds and starts serving (and starts draining the flow rings).
     *
     * @throws IllegalStateException naming the endpoint and the cause when it cannot listen
     *         (address in use, another daemon on the socket, no epoll for a unix socket)
     */
    public synchronized void start() {
        if (serverChannel != null) {
            throw new IllegalStateException("admin API already listening on " + bound);
        }
        SocketAddress address;
        Class<? extends ServerChannel> channelType;
        if (endpoint.isUnix()) {
            if (!Epoll.isAvailable()) {
                throw new IllegalStateException("admin API: cannot listen on " + endpoint + ": unix sockets need Netty's "
                        + "epoll transport, unavailable here: " + Epoll.unavailabilityCause());
            }
            prepareSocketPath(endpoint.unixSocket());
            ioGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
            channelType = EpollServerDomainSocketChannel.class;
            address = new DomainSocketAddress(endpoint.unixSocket().toString());
        } else {
            ioGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            channelType = NioServerSocketChannel.class;
            try {
                address = new InetSocketAddress(InetAddress.getByName(endpoint.host().toString()), endpoint.port());
            } catch (IOException e) {
                throw new IllegalStateException("admin API: " + endpoint + ": " + e.getMessage(), e);
            }
        }
        handlers = Executors.newFixedThreadPool(HANDLER_THREADS, Thread.ofPlatform().daemon().name("gingham-api-", 0).factory());
        ApiHandler handler = new ApiHandler(node, telemetry, flows, handlers, podNetwork);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(ioGroup)
                .channel(channelType)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES));
                        ch.pipeline().addLast(handler);
                    }
                });
        try {
            serverChannel = bootstrap.bind(address).sync().channel();
        } catch (Exception e) {
            shutdownGroups();
            throw new IllegalStateException("admin API: cannot listen on " + endpoint + ": " + describe(e), e);
        }
        if (endpoint.isUnix()) {
            ownsSocketFile = true;
            try {
                Files.setPosixFilePermissions(endpoint.unixSocket(), PosixFilePermissions.fromString("rw-rw----"));
            } catch (IOException | UnsupportedOperationException e) {
                close();
                throw new IllegalStateException("admin API: cannot set the mode of " + endpoint.unixSocket() + ": " + e, e);
            }
            bound = endpoint;
        } else {
            InetSocketAddress local = (InetSocketAddress) serverChannel.localAddress();
            bound = new ApiEndpoint(endpoint.host(), local.getPort(), null);
        }
        flows.start();
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    /** Refuses a live socket or a file that is not a socket; removes a stale socket nobody listens on. */
    private static void prepareSocketPath(Path socket) {
        try {
            Files.createDirectories(socket.getParent());
        } catch (IOException e) {
            throw new IllegalStateException("admin API: cannot create the directory of " + socket + ": " + e, e);
        }
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        boolean isSocket;
        try {
            isSocket = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        } catch (IOException e) {
            throw new IllegalStateException("admin API: cannot inspect " + socket + ": " + e, e);
        }
        if (!isSocket) {
            throw new IllegalStateException("admin API: " + socket + " exists and is not a socket; remove it or choose "
                    + "another path (api.listen in node.yaml)");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            probe.write(ByteBuffer.allocate(0));
            throw new IllegalStateException("admin API: another process listens on unix:" + socket
                    + " (is another gingham daemon running?)");
        } catch (IOException refused) {
            try {
                Files.delete(socket); // stale: left by a daemon that died
            } catch (IOException e) {
                throw new IllegalStateException("admin API: cannot remove the stale socket " + socket + ": " + e, e);
            }
        }
    }

    /** Returns: where the server listens (with the real port when started on port 0). */
    public synchronized ApiEndpoint endpoint() {
        if (bound == null) {
            throw new IllegalStateException("admin API not started");
        }
        return bound;
    }

    /** Returns: the node's flow hub (the one consumer of its flow rings); in-process subscribers may use it. */
    public FlowHub flows() {
        return flows;
    }

    /**
     * Stops: no new connections, flow streams ended with their last chunk, other connections
     * closed, threads stopped (each wait bounded: about 3 s in all), the unix socket removed.
     * Safe to call twice and after a failed start.
     */
    @Override
    public synchronized void close() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT.toMillis());
            serverChannel = null;
        }
        for (Channel c : connections) {
            if (Boolean.TRUE.equals(c.attr(FlowStream.STREAM).get())) {
                FlowStream.end(c);
            } else {
                c.close();
            }
        }
        connections.newCloseFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT.toMillis());
        flows.close();
        shutdownGroups();
        if (ownsSocketFile) {
            ownsSocketFile = false;
            try {
                Files.deleteIfExists(endpoint.unixSocket());
            } catch (IOException ignored) {
                // the next start replaces a stale socket anyway
            }
        }
    }

    /** I/O first (it closes the connections), then the handler threads (a late view writes to a closed channel, harmlessly). */
    private void shutdownGroups() {
        if (ioGroup != null) {
            ioGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .awaitUninterruptibly(SHUTDOWN_TIMEOUT.toMillis() + 500);
        }
        if (handlers != null) {
            handlers.shutdownNow();
            try {
                handlers.awaitTermination(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        handlers = null;
        ioGroup = null;
    }
}
