package io.rptun.core.lifecycle;

/**
 * A state change of an {@link Rptun}.
 *
 * @param from the state before
 * @param to the state now
 * @param why what caused it, for a person
 */
public record RptunEvent(RptunState from, RptunState to, String why) {
}
