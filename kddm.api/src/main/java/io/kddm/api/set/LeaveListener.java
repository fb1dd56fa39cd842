package io.kddm.api.set;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told when this node is about to leave the cluster in
 * order, while every service still runs and before the core hands its objects
 * off: a service writes back what only this node knows to be unwritten (kDFS:
 * the pages this node changed, to their homes' partitions).
 */
@ConsumerType
public interface LeaveListener {
    /** Called once, on the thread that leaves; a failure is logged and the leave goes on. */
    void leaving();
}
