package dev.gingham.dataplane.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TextTableTest {
    @Test
    void shouldAlignColumnsToTheWidestCellAndTrimTrailingBlanks() {
        String text = new TextTable("A", "LONG HEADER", "C").row("wide cell", 1, "").row("x").toString();

        assertEquals("""
                A          LONG HEADER  C
                wide cell  1
                x
                """, text);
    }

    @Test
    void shouldRefuseMoreCellsThanColumns() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable("A").row(1, 2));
    }

    @Test
    void shouldPickTheNounForTheCount() {
        assertEquals("1 entry", TextTable.count(1, "entry", "entries"));
        assertEquals("0 entries", TextTable.count(0, "entry", "entries"));
    }
}
