//! Shell analysis on fixed cases.
