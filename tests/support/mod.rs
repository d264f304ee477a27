pub mod mtls;
