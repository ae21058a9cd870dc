package dev.gingham.dataplane.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProgressBarTest {
    @Test
    void shouldShowPercentageAndFramesPerSecondWhenHalfTheCaptureIsRead() {
        assertEquals("[###############...............]  50%  1,000,000 frames  500,000 frames/s",
                ProgressBar.render(1_000_000, 512, 1024, 2_000_000_000L));
    }

    @Test
    void shouldRedrawAtMostFourTimesASecondAndClearItsLineWhenFinished() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong(0);
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), clock::get);
        clock.set(1_000_000_000L);
        bar.update(100, 10, 100);
        clock.addAndGet(ProgressBar.REDRAW_INTERVAL_NS - 1);
        bar.update(200, 20, 100); // too soon: not drawn
        clock.addAndGet(1);
        bar.update(300, 100, 100);
        String drawn = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, drawn.chars().filter(c -> c == '\r').count(), drawn);
        assertEquals(true, drawn.contains(" 10%  100 frames  100 frames/s"), drawn);
        assertEquals(true, drawn.contains("100%  300 frames"), drawn);
        bytes.reset();
        bar.finish();
        String cleared = bytes.toString(StandardCharsets.UTF_8);
        assertEquals('\r', cleared.charAt(0));
        assertEquals("", cleared.strip(), "only blanks between the carriage returns");
    }
}
