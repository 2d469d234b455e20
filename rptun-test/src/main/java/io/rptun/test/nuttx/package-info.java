/**
 * Models of NuttX's simulator processes ({@code sim:rpserver} and {@code sim:rpproxy}) for tests: they
 * behave as NuttX does, not as rptun does. Each writes or reads NuttX's file and table itself, looks at
 * the peer's counter every 10 ms (configurable), places vrings and buffers as NuttX does, speaks rpmsg with
 * NuttX's two-phase name service, serves or drives the entropy devices, and runs NuttX's ping, syslog and
 * console protocols. Test your code against "a NuttX proxy" ({@link io.rptun.test.nuttx.NuttxProxyModel})
 * or "a NuttX server" ({@link io.rptun.test.nuttx.NuttxServerModel}) without building NuttX.
 *
 * <p>Where NuttX would assert or read out of bounds on a bad value from its peer, a model stops in
 * {@code FAULTED} with a message naming the value: assert {@code fault()} is null at the end of a test.
 */
@NullMarked
package io.rptun.test.nuttx;

import org.jspecify.annotations.NullMarked;
