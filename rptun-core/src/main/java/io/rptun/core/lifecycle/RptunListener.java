package io.rptun.core.lifecycle;

/** Observes an {@link Rptun}'s state changes, on the thread that made the change. Must not block. */
@FunctionalInterface
public interface RptunListener {
    void onStateChange(RptunEvent event);
}
