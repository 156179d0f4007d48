//! A Tableau Server / Tableau Cloud simulator speaking the REST and Metadata API shapes.
