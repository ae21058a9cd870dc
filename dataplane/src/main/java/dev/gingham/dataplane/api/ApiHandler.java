package dev.gingham.dataplane.api;

import dev.gingham.dataplane.flow.FlowHub;
import dev.gingham.dataplane.node.ConfiguredNode;
import dev.gingham.dataplane.policy.PolicyFlowNames;
import dev.gingham.nat.IpAddress;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Routes a request to its view and writes the answer: JSON for {@code /v1/*} and
 * {@code /healthz}, Prometheus text for {@code /metrics}, a chunked NDJSON stream for
 * {@code /v1/flows}. Only GET (405 otherwise), except the CNI plugin's {@code POST /v1/cni/add},
 * {@code /v1/cni/del}, {@code /v1/cni/check}, which the daemon's {@link PodNetwork} answers; an unknown path is 404 listing the paths; a bad
 * parameter is 400 naming it; every error has a JSON body {@code {"status":..,"error":".."}}.
 *
 * <p>The I/O event loop only takes the request apart; the view runs on the API's handler
 * executor, so a large conntrack dump does not hold up other connections or flow streams. Views only read: maps through lock-free lookups, the
 * control plane through the node's published snapshot and the policy engine's synchronized reads.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String JSON = "application/json";

    private final ConfiguredNode node;
    private final NodeTelemetry telemetry;
    private final FlowHub flows;
    private final PolicyFlowNames names;
    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final Executor executor;

    /** One path: the parameters it accepts and what it answers. */
    private record Route(Set<String> parameters, Handler handler) {
    }

    @FunctionalInterface
    private interface Handler {
        /** Returns: the response, or null when the handler answered itself (a stream). */
        FullHttpResponse handle(ChannelHandlerContext ctx, Query query);
    }

    /** What the handler needs of a request once the event loop has released its buffers (the body copied). */
    private record Request(HttpMethod method, String uri, boolean keepAlive, Throwable malformed, byte[] body) {
    }

    /** The paths of the CNI plugin's calls (POST), when the daemon serves them ({@link PodNetwork}). */
    private static final Map<String, String> CNI_PATHS = Map.of("/v1/cni/add", PodNetwork.ADD, "/v1/cni/del", PodNetwork.DEL,
            "/v1/cni/check", PodNetwork.CHECK);
    private final PodNetwork podNetwork;

    /**
     * @param executor runs the views (never the I/O event loop)
     */
    ApiHandler(ConfiguredNode node, NodeTelemetry telemetry, FlowHub flows, Executor executor) {
        this(node, telemetry, flows, executor, null);
    }

    /**
     * @param podNetwork serves the CNI plugin's POSTs, or null (they answer 503)
     */
    ApiHandler(ConfiguredNode node, NodeTelemetry telemetry, FlowHub flows, Executor executor, PodNetwork podNetwork) {
        super(true);
        this.podNetwork = podNetwork;
        this.executor = executor;
        this.node = node;
        this.telemetry = telemetry;
        this.flows = flows;
        this.names = new PolicyFlowNames(node.state().policy());
        routes.put("/healthz", new Route(Set.of(), (ctx, q) -> {
            HealthView.Health health = HealthView.of(node.config().nodeName(), telemetry);
            return json(health.healthy() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, health);
        }));
        routes.put("/metrics", new Route(Set.of(), (ctx, q) -> response(HttpResponseStatus.OK, PrometheusText.CONTENT_TYPE,
                MetricsView.of(node, telemetry, flows).getBytes(StandardCharsets.UTF_8))));
        routes.put("/v1/services", new Route(Set.of(), (ctx, q) ->
                json(HttpResponseStatus.OK, ServicesView.of(node.state().maps().services(), node.applied().services().values()))));
        routes.put("/v1/endpoints", new Route(Set.of(), (ctx, q) -> json(HttpResponseStatus.OK, EndpointsView.of(node))));
        routes.put("/v1/conntrack", new Route(Set.of("limit", "protocol", "src", "dst", "address", "port", "pod", "table"),
                (ctx, q) -> json(HttpResponseStatus.OK, ConntrackView.of(node.state().maps().conntrack(), conntrackFilter(q),
                        telemetry.clockNs()))));
        routes.put("/v1/nat", new Route(Set.of("limit", "protocol", "src", "dst", "pod"), (ctx, q) ->
                json(HttpResponseStatus.OK, NatView.of(node.state().maps().snat(), natFilter(q), telemetry.clockNs()))));
        routes.put("/v1/neighbours", new Route(Set.of(), (ctx, q) -> json(HttpResponseStatus.OK,
                NeighboursView.of(telemetry.neighbours(), NeighboursView.observationsLost(node), telemetry.clockNs()))));
        routes.put("/v1/policy", new Route(Set.of("pod"), (ctx, q) -> json(HttpResponseStatus.OK,
                PolicyView.of(node.applied().localPods().values(), node.state().policy(), names, q.get("pod")))));
        routes.put("/v1/flows", new Route(Set.of("verdict", "pod", "reason"), (ctx, q) -> {
            FlowQuery filter;
            try {
                filter = FlowQuery.parse(q.get("verdict"), q.get("pod"), q.get("reason"));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("/v1/flows: " + e.getMessage());
            }
            FlowStream.open(ctx, flows, filter, telemetry);
            return null;
        }));
    }

    /**
     * Requests of one connection are answered in order (HTTP/1.1 pipelining): each waits for the
     * previous one's view. Only the connection's event loop reads and sets this, so it needs no lock.
     */
    private static final AttributeKey<CompletableFuture<Void>> PREVIOUS = AttributeKey.valueOf("gingham.api.previous");

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest full) {
        byte[] body = new byte[full.content().readableBytes()];
        full.content().getBytes(full.content().readerIndex(), body);
        Request request = new Request(full.method(), full.uri(), HttpUtil.isKeepAlive(full),
                full.decoderResult().isSuccess() ? null : full.decoderResult().cause(), body);
        CompletableFuture<Void> previous = ctx.channel().attr(PREVIOUS).get();
        try {
            CompletableFuture<Void> next = previous == null
                    ? CompletableFuture.runAsync(() -> respond(ctx, request), executor)
                    : previous.thenRunAsync(() -> respond(ctx, request), executor);
            ctx.channel().attr(PREVIOUS).set(next);
        } catch (RejectedExecutionException shuttingDown) {
            ctx.close();
        }
    }

    private void respond(ChannelHandlerContext ctx, Request request) {
        FullHttpResponse response;
        boolean keepAlive = request.keepAlive;
        try {
            response = route(ctx, request);
        } catch (ApiException e) {
            response = error(HttpResponseStatus.valueOf(e.status()), e.getMessage());
        } catch (RuntimeException e) {
            response = error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e);
        }
        if (response == null) {
            return; // a stream: it writes its own response and ends the connection
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private FullHttpResponse route(ChannelHandlerContext ctx, Request request) {
        if (request.malformed != null) {
            throw ApiException.badRequest("malformed request: " + request.malformed);
        }
        QueryStringDecoder decoder = new QueryStringDecoder(request.uri);
        String path = decoder.path();
        String cni = CNI_PATHS.get(path);
        if (cni != null) {
            return cni(request, path, cni);
        }
        Route route = routes.get(path);
        if (route == null) {
            throw ApiException.notFound("no such path " + path + " (paths: " + String.join(", ", routes.keySet()) + ")");
        }
        if (!HttpMethod.GET.equals(request.method)) {
            FullHttpResponse refused = error(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    request.method + " " + path + ": the admin API only reads; use GET");
            refused.headers().set(HttpHeaderNames.ALLOW, "GET");
            return refused;
        }
        return route.handler.handle(ctx, new Query(path, decoder.parameters(), route.parameters));
    }

    /** The CNI plugin's calls: POST only, answered by the daemon's {@link PodNetwork} (503 when it serves none). */
    private FullHttpResponse cni(Request request, String path, String operation) {
        if (!HttpMethod.POST.equals(request.method)) {
            FullHttpResponse refused = error(HttpResponseStatus.METHOD_NOT_ALLOWED, request.method + " " + path + ": use POST");
            refused.headers().set(HttpHeaderNames.ALLOW, "POST");
            return refused;
        }
        if (podNetwork == null) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE.code(), path + ": this daemon serves no CNI plugin "
                    + "(it needs pinDirectory in node.yaml for its CNI state)");
        }
        PodNetwork.Reply reply = podNetwork.call(operation, request.body);
        return response(HttpResponseStatus.valueOf(reply.status()), JSON, reply.json());
    }

    private ConntrackView.Filter conntrackFilter(Query q) {
        String table = q.get("table");
        if (table != null && !table.equals("tcp") && !table.equals("other")) {
            throw ApiException.badRequest("/v1/conntrack: table=" + table + " must be tcp or other");
        }
        return new ConntrackView.Filter(q.parsed("protocol", IpProtocols::parse), q.parsed("src", IpAddress::parse),
                q.parsed("dst", IpAddress::parse), address(q), port(q), table,
                q.intValue("limit", ConntrackView.DEFAULT_LIMIT, 1, ConntrackView.MAX_LIMIT));
    }

    private NatView.Filter natFilter(Query q) {
        IpAddress source = q.parsed("src", IpAddress::parse);
        IpAddress pod = podAddress(q);
        if (source != null && pod != null && !source.equals(pod)) {
            throw ApiException.badRequest("/v1/nat: src=" + source + " and pod=" + q.get("pod") + " (" + pod + ") disagree");
        }
        return new NatView.Filter(q.parsed("protocol", IpProtocols::parse), pod != null ? pod : source,
                q.parsed("dst", IpAddress::parse), q.intValue("limit", ConntrackView.DEFAULT_LIMIT, 1, ConntrackView.MAX_LIMIT));
    }

    /** Returns: the {@code address=} filter, or the address of the pod {@code pod=} names. */
    private IpAddress address(Query q) {
        IpAddress address = q.parsed("address", IpAddress::parse);
        IpAddress pod = podAddress(q);
        if (address != null && pod != null && !address.equals(pod)) {
            throw ApiException.badRequest("/v1/conntrack: address=" + address + " and pod=" + q.get("pod") + " (" + pod + ") disagree");
        }
        return pod != null ? pod : address;
    }

    private static Integer port(Query q) {
        int port = q.intValue("port", -1, 0, 65535);
        return port < 0 ? null : port;
    }

    /** Returns: the address of the local pod {@code pod=} names ("namespace/name" or a unique name), or null. */
    private IpAddress podAddress(Query q) {
        String pod = q.get("pod");
        if (pod == null) {
            return null;
        }
        IpAddress address = LocalPodSelector.select(node.applied().localPods().values(), pod).get(0).pod().ip();
        if (address == null) {
            throw ApiException.notFound("local pod '" + pod + "' has no address yet");
        }
        return address;
    }

    static FullHttpResponse json(HttpResponseStatus status, Object body) {
        return response(status, JSON, ApiJson.MAPPER.writeValueAsBytes(body));
    }

    static FullHttpResponse error(HttpResponseStatus status, String message) {
        return json(status, new ApiJson.Error(status.code(), message));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setContentLength(response, body.length);
        return response;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a broken connection: nothing to answer
    }
}
