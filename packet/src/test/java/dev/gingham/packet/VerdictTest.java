package dev.gingham.packet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerdictTest {

    @Test
    void shouldEncodeDropAsNegativeCodeWhenDropped() {
        int verdict = Verdict.drop(DropReason.NO_SERVICE);
        assertEquals(-158, verdict);
        assertTrue(Verdict.isDrop(verdict));
        assertFalse(Verdict.isTx(verdict));
        assertEquals(158, Verdict.dropCode(verdict));
        assertEquals(DropReason.NO_SERVICE.verdict(), verdict);
        assertEquals("DROP 158 NO_SERVICE", Verdict.toString(verdict));
    }

    @Test
    void shouldCarryPortWhenTransmitting() {
        int verdict = Verdict.tx(4711);
        assertTrue(verdict > 0);
        assertTrue(Verdict.isTx(verdict));
        assertFalse(Verdict.isPunt(verdict));
        assertEquals(4711, Verdict.port(verdict));
        assertEquals(Verdict.MAX_PORT, Verdict.port(Verdict.tx(Verdict.MAX_PORT)));
        assertEquals(0, Verdict.port(Verdict.tx(0)));
        assertTrue(Verdict.isTx(Verdict.tx(0)));
        assertEquals("TX 4711", Verdict.toString(verdict));
    }

    @Test
    void shouldDistinguishPuntFromTxWhenBothCarryArguments() {
        int punt = Verdict.punt(3);
        assertTrue(Verdict.isPunt(punt));
        assertFalse(Verdict.isTx(punt));
        assertEquals(3, Verdict.port(punt));
        assertTrue(Verdict.isContinue(Verdict.CONTINUE));
        assertFalse(Verdict.isDrop(Verdict.CONTINUE));
        assertEquals("CONTINUE", Verdict.toString(Verdict.CONTINUE));
    }
}
