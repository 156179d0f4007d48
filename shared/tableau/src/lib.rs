//! The Tableau client: REST and Metadata API over HTTPS.
