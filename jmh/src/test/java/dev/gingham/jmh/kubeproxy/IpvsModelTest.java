package dev.gingham.jmh.kubeproxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpvsModelTest {
    private final ModelFixture fixture = new ModelFixture();
    private final IpvsModel model = new IpvsModel();

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void shouldHashAsIpVsSvcHashkeyWhenPlacingAService() {
        // (proto ^ addr ^ (port >> 8) ^ port) & 255 for TCP 10.96.0.7:443 (0x0A600007, 0x01BB)
        assertEquals((6 ^ 0x0A60_0007 ^ 0x01 ^ 0x01BB) & 0xFF, IpvsModel.bucket(6, 0x0A60_0007, 443));
        assertEquals(0xBB, IpvsModel.bucket(6, 0x0A60_0007, 443)); // 6 ^ 0x07 ^ 0x01 ^ 0xBB in the low byte
    }

    @Test
    void shouldPickRealServersInTurnWhenSchedulingRoundRobin() {
        model.load(2);
        for (int k = 0; k < 25; k++) {
            long backend = fixture.askService(model, 1, k);
            assertEquals(k % ServiceCatalog.BACKENDS, ServiceCatalog.endpointIndex(1, ServiceDataplane.backendAddress(backend)));
        }
    }

    @Test
    void shouldSkipARealServerWhenItIsOverloaded() {
        model.load(1);
        model.overloaded(0, 1, true);
        for (int k = 0; k < 30; k++) {
            long backend = fixture.askService(model, 0, k);
            assertTrue(ServiceCatalog.endpointIndex(0, ServiceDataplane.backendAddress(backend)) != 1, "connection " + k);
        }
    }

    @Test
    void shouldChainAbout400ServicesPerBucketWhenTheFixedTableHolds100k() {
        model.load(100_000);
        int longest = model.longestChain();
        // 100,000 / 256 = 391 on average; the hash of consecutive addresses spreads them evenly
        assertTrue(longest >= 391 && longest < 450, "longest chain " + longest);
    }
}
