package dev.gingham.dataplane.config;

import dev.gingham.dataplane.agent.AdaptiveIdleStrategy;
import dev.gingham.dataplane.agent.FrameWaiter;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** What each configured kind builds: adaptive sleeps in whole milliseconds, and backs off without ports to sleep on. */
class IdleStrategyConfigTest {
    @Test
    void adaptiveSleepsOnTheWaiterForTheLongestParkRoundedUpToAMillisecond() {
        List<Integer> timeouts = new ArrayList<>();
        FrameWaiter waiter = timeoutMs -> {
            timeouts.add(timeoutMs);
            return 0;
        };
        IdleStrategyConfig config = new IdleStrategyConfig(IdleStrategyConfig.Kind.ADAPTIVE, 0, 0, 1_000, 1_500_000, 100_000);
        IdleStrategy idle = config.newIdleStrategy(waiter);
        assertInstanceOf(AdaptiveIdleStrategy.class, idle);
        idle.idle(0);
        assertEquals(List.of(2), timeouts);
        new IdleStrategyConfig(IdleStrategyConfig.Kind.ADAPTIVE, 0, 0, 1_000, 1_000, 100_000).newIdleStrategy(waiter).idle(0);
        assertEquals(List.of(2, 1), timeouts, "1 us still sleeps a whole millisecond at most");
    }

    @Test
    void adaptiveWithoutPortsToSleepOnBacksOff() {
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategyConfig.defaults().newIdleStrategy(null));
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategyConfig.defaults().newIdleStrategy());
        assertEquals(IdleStrategyConfig.Kind.ADAPTIVE, IdleStrategyConfig.defaults().kind());
    }
}
