package dev.gingham.dataplane.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gingham.dataplane.flow.FlowEvent;
import dev.gingham.dataplane.flow.FlowHub;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;

import java.time.Instant;
import java.util.List;

/**
 * One {@code /v1/flows} stream: a {@link FlowHub} subscription that writes each batch of matching
 * events as NDJSON lines in one HTTP chunk. The subscription is made before the response headers
 * are sent, so a client that has the headers sees every event from then on.
 *
 * <p>Never blocks the hub: when the connection's outbound buffer is over Netty's high-water mark
 * (a client reading slower than events come), the batch is counted as lost instead of queued, and
 * the next line the client gets says how many ({@code {"lostEvents":N}}). The client closing the
 * connection ends the subscription; the server closing (shutdown) ends the response properly.
 */
final class FlowStream implements FlowHub.Subscriber {
    /** The content type of the stream: one JSON document per line. */
    static final String NDJSON = "application/x-ndjson";
    private static final byte NEWLINE = '\n';
    /** Marks a connection that carries a stream (shutdown ends its response before closing it). */
    static final AttributeKey<Boolean> STREAM = AttributeKey.valueOf("gingham.flowStream");

    /**
     * One line of the stream: a flow or a count of lost events.
     *
     * @param time       wall-clock time of the event (ISO-8601), or of the loss notice
     * @param flow       the event, or null on a loss notice
     * @param lostEvents events this stream lost because the client fell behind, or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Line(String time, FlowEvent flow, Long lostEvents) {
    }

    private final Channel channel;
    private final NodeTelemetry telemetry;
    private long lost;

    private FlowStream(Channel channel, NodeTelemetry telemetry) {
        this.channel = channel;
        this.telemetry = telemetry;
    }

    /** Subscribes, then sends the response headers; the connection is the stream's until either side closes it. */
    static void open(ChannelHandlerContext ctx, FlowHub hub, FlowQuery filter, NodeTelemetry telemetry) {
        Channel channel = ctx.channel();
        FlowStream stream = new FlowStream(channel, telemetry);
        FlowHub.Subscription subscription = hub.subscribe(filter, stream);
        channel.attr(STREAM).set(Boolean.TRUE);
        channel.closeFuture().addListener(f -> subscription.close());
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, NDJSON);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        HttpUtil.setTransferEncodingChunked(response, true);
        channel.writeAndFlush(response);
    }

    /** Ends the response of a stream the server closes (shutdown), then the connection. */
    static void end(Channel channel) {
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void onEvents(List<FlowEvent> events) {
        if (!channel.isActive()) {
            return;
        }
        if (!channel.isWritable()) {
            lost += events.size();
            return;
        }
        long nowWallNs = currentWallNs();
        long nowClockNs = telemetry.clockNs();
        ByteBuf buf = channel.alloc().buffer(events.size() * 512);
        if (lost > 0) {
            buf.writeBytes(ApiJson.MAPPER.writeValueAsBytes(new Line(wall(nowWallNs), null, lost))).writeByte(NEWLINE);
            lost = 0;
        }
        for (FlowEvent e : events) {
            // The event carries the node clock; its wall time is now minus its age.
            String time = wall(nowWallNs - Math.max(0, nowClockNs - e.timeNs()));
            buf.writeBytes(ApiJson.MAPPER.writeValueAsBytes(new Line(time, e, null))).writeByte(NEWLINE);
        }
        channel.writeAndFlush(new DefaultHttpContent(buf));
    }

    private static long currentWallNs() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static String wall(long epochNs) {
        return Instant.ofEpochSecond(Math.floorDiv(epochNs, 1_000_000_000L), Math.floorMod(epochNs, 1_000_000_000L)).toString();
    }
}
