package dev.gingham.jmh.kubeproxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NftablesModelTest {
    private final ModelFixture fixture = new ModelFixture();
    private final NftablesModel model = new NftablesModel();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void shouldGrowTheMapWhenItIsMoreThanThreeQuartersFull() {
        model.load(3);
        assertEquals(4, model.buckets());
        model.addService(3); // 4 elements in 4 buckets: above 75%
        assertEquals(8, model.buckets());
        for (int s = 4; s < 1000; s++) {
            model.addService(s);
        }
        assertEquals(2048, model.buckets(), "1,000 elements need 2,048 buckets to stay at or under 75%");
    }

    @Test
    void shouldShrinkTheMapWhenItFallsBelowThirtyPercent() {
        model.load(1000);
        for (int s = 0; s < 900; s++) {
            model.removeService(s);
        }
        assertEquals(256, model.buckets(), "100 elements: halved while under 30% of the buckets");
        assertEquals(100, model.services());
        assertNotEquals(-1, ServiceCatalog.endpointIndex(950, ServiceDataplane.backendAddress(fixture.askService(model, 950, 1))));
    }

    @Test
    void shouldMixEveryKeyWordWhenHashing() {
        int base = NftablesModel.jhash3(0x0A60_0001, 6, 80, 1);
        assertNotEquals(base, NftablesModel.jhash3(0x0A60_0002, 6, 80, 1));
        assertNotEquals(base, NftablesModel.jhash3(0x0A60_0001, 17, 80, 1));
        assertNotEquals(base, NftablesModel.jhash3(0x0A60_0001, 6, 81, 1));
        assertNotEquals(base, NftablesModel.jhash3(0x0A60_0001, 6, 80, 2));
        // jhash's final mix: one changed input bit flips about half of the output bits
        int flipped = Integer.bitCount(base ^ NftablesModel.jhash3(0x0A60_0001, 6, 81, 1));
        assertTrue(flipped > 8 && flipped < 24, "flipped " + flipped + " bits");
    }

    @Test
    void shouldMarkForMasqueradeWhenTheClientIsOutsideTheClusterCidr() {
        model.load(2);
        fixture.ask(model, 0xC0A8_0105, 40_000, ServiceCatalog.vip(1), ServiceCatalog.SERVICE_PORT);
        assertEquals(IptablesModel.MASQ_MARK, model.lastMark());
        fixture.askService(model, 1, 3);
        assertEquals(0, model.lastMark());
    }
}
