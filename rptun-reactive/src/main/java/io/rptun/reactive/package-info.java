/**
 * rpmsg endpoints as backpressured Reactor streams (work in progress: see the reactive issue).
 */
@NullMarked
package io.rptun.reactive;

import org.jspecify.annotations.NullMarked;
