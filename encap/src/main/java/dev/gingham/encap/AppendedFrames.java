package dev.gingham.encap;

import dev.gingham.packet.FrameVector;
import dev.gingham.packet.Parser;
import dev.gingham.packet.Verdict;

/**
 * How a program that makes more frames than it got ({@link Fragmenter}, {@link TcpSegmenter})
 * hands the extra ones on: appended to the same {@link FrameVector}, carrying what the original's
 * earlier programs decided about it (ingress port, mark, both identities), and parsed, so the
 * programs after it see them like any received frame. Kept in one place so fragments and
 * segments can never differ in what they inherit.
 */
final class AppendedFrames {
    private AppendedFrames() {
    }

    /**
     * Appends the frame that occupies {@code frameBytes} at {@code buffer}'s data start, made from
     * frame {@code original}; the caller checked that the vector has room.
     *
     * @return its index in the vector
     */
    static int append(FrameVector v, int original, int buffer, int frameBytes, Parser parser) {
        int index = v.add(buffer, v.ingressPort(original), frameBytes);
        v.mark(index, v.mark(original));
        v.srcIdentity(index, v.srcIdentity(original));
        v.dstIdentity(index, v.dstIdentity(original));
        parseOwn(v, index, parser);
        return index;
    }

    /**
     * Parses a frame the program wrote. They are well formed by construction (the original
     * passed the parser); should one not be, it is dropped with the parser's reason rather than
     * thrown about, like any other bad frame.
     */
    static void parseOwn(FrameVector v, int i, Parser parser) {
        int result = parser.parse(v, i);
        if (result != Verdict.CONTINUE) {
            v.verdict(i, result);
        }
    }
}
