package dev.gingham.dataplane.demo;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The demo's output shape: wrapped paragraphs, numbered steps, long command output summarised. */
class StepPrinterTest {
    @Test
    void shouldWrapAtTheWidthWithoutSplittingWords() {
        assertEquals(List.of("one two", "three", "four five"), StepPrinter.wrap("one two three four five", 9));
        assertEquals(List.of("a", "unsplittable-word", "b"), StepPrinter.wrap("a unsplittable-word b", 5));
        assertEquals(List.of(""), StepPrinter.wrap("   ", 10));
    }

    @Test
    void shouldPrintAStepAsHeadingCommandOutputAndMeaning() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StepPrinter printer = new StepPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), 6);

        printer.heading("pod to pod");
        printer.what("The client pings web-1.");
        printer.command(List.of("ip", "netns", "exec", "gdemo-client", "ping", "-c", "1", "10.244.1.11"));
        printer.printed(String.join("\n", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10"));
        printer.meaning(false, "Expected an answer.");

        assertEquals("""

                == Step 1 of 6: pod to pod ==
                  What we do:
                    The client pings web-1.
                  Command:
                    $ ip netns exec gdemo-client ping -c 1 10.244.1.11
                  It printed:
                    | l1
                    | l2
                    | l3
                    | l4
                    | l5
                    | l6
                    | l7
                    | l8
                    | ... (2 more lines, 10 in all)
                  What it means (NOT what should happen):
                    Expected an answer.
                """, bytes.toString(StandardCharsets.UTF_8));
    }
}
