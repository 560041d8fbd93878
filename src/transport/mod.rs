//! How clients reach the sessions: Socket.IO ([`socketio`]) and HTTP ([`http`]).

pub mod dispatch;
pub mod http;
pub mod requests;
pub mod socketio;
