"""The simulator's clock, durable jobs and the scheduler that runs them as time moves."""
