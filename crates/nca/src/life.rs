//! Classic Life-like cellular automata (placeholder, being written).
