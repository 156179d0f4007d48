//! Test helpers: start moto and the Tableau simulator on loopback.
