package dev.gingham.jmh.kubeproxy;

import dev.gingham.nat.lb.Algorithm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GinghamModelTest {
    private final ModelFixture fixture = new ModelFixture();
    private GinghamModel model;

    @AfterEach
    void tearDown() {
        model.close();
        fixture.close();
    }

    @Test
    void shouldSendTheSameConnectionToTheSameBackendWhenSelectingWithMaglev() {
        model = new GinghamModel(Algorithm.MAGLEV, 4, ServiceDataplanes.MAGLEV_TABLE_SIZE);
        model.load(4);
        for (int k = 0; k < 100; k++) {
            long first = fixture.askService(model, 2, k);
            assertEquals(first, fixture.askService(model, 2, k), "connection " + k);
        }
    }

    @Test
    void shouldKeepOtherServicesWhenOneIsDeletedAndCreatedAgain() {
        model = new GinghamModel(Algorithm.RANDOM, 1, ServiceDataplanes.MAGLEV_TABLE_SIZE);
        model.load(3);
        assertTrue(model.removeService(1));
        model.addService(1);
        assertEquals(3, model.services());
        for (int s = 0; s < 3; s++) {
            assertTrue(ServiceCatalog.endpointIndex(s, ServiceDataplane.backendAddress(fixture.askService(model, s, 5))) >= 0,
                    "service " + s);
        }
    }
}
